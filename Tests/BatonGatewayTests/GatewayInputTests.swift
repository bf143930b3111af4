@testable import BatonGateway
import BatonModel
import Testing

/// What comes from outside the gateway, fed garbage and oversized data: credentials files,
/// Authorization-independent parsing of multipart bodies, task ids in URLs, typed variables.
struct GatewayInputTests {
    @Test func credentialsFilesNameTheLineAtFault() throws {
        let good = try Credentials.parse("# comment\n\nbasic demo:s3cret\nbearer abc\n", file: "creds")
        #expect(good.basic == ["demo:s3cret"] && good.bearerTokens == ["abc"])
        for (text, line) in [("basic\n", 1), ("# ok\nbasic nocolon\n", 2), ("basic :nouser\n", 1), ("digest x:y\n", 1), (String(repeating: "\u{0}", count: 5000), 1)] {
            #expect(throws: CredentialsError.self) { try Credentials.parse(text, file: "creds") }
            do { _ = try Credentials.parse(text, file: "creds") } catch { #expect(error.description.hasPrefix("creds:\(line):"), "\(error)") }
        }
    }

    @Test func multipartGarbageIsRefusedNamingWhy() throws {
        let body = Array("--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"p.bpmn\"\r\n\r\n<x/>\r\n--b--\r\n".utf8)
        let parts = try Multipart.parts(body, boundary: "b")
        #expect(parts.count == 1 && parts[0].fileName == "p.bpmn" && parts[0].bytes == Array("<x/>".utf8))
        #expect(Multipart.boundary(contentType: "multipart/form-data; boundary=\"abc\"") == "abc")
        #expect(Multipart.boundary(contentType: "application/json") == nil)
        #expect(Multipart.boundary(contentType: "multipart/form-data; boundary=" + String(repeating: "x", count: 300)) == nil)
        let garbage: [[UInt8]] = [
            [], Array(repeating: 0xFF, count: 100_000), Array("--b\r\nno blank line--b--".utf8),
            Array("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--".utf8),
        ]
        for bytes in garbage {
            #expect(throws: GatewayError.self) { try Multipart.parts(bytes, boundary: "b") }
        }
    }

    @Test func taskIdsThatBatonNeverGaveOutAreNotParsed() {
        let id = ExternalTaskID(instanceKey: 7, taskKey: 9, attempt: 2, correlationId: "order/1 ü")
        #expect(ExternalTaskID(id.description) == id)
        #expect(!id.description.contains("/") && !id.description.contains("+") && !id.description.contains("="))
        for text in ["", "1-2-3", "a-2-3-b3JkZXI", "1-2-x-b3JkZXI", "1-2-3-", "1-2-3-!!!!", "1-2-3-" + String(repeating: "A", count: 10_000)] {
            #expect(ExternalTaskID(text) == nil, "\(text.prefix(40))")
        }
    }

    @Test func typedVariablesRefuseWhatDoesNotMatchTheirType() throws {
        let decoded = try CamundaVariables.decode(.object([
            "n": .object(["value": .number(3), "type": .string("Integer")]),
            "j": .object(["value": .string("{\"a\":[1]}"), "type": .string("Json")]),
            "plain": .object(["value": .bool(true)]),
        ]), field: "variables")
        #expect(decoded == ["n": .number(3), "j": .object(["a": .array([.number(1)])]), "plain": .bool(true)])
        #expect(CamundaVariables.typed(.object(["a": .null]))["type"] == .string("Json"))
        let bad: [JSONValue] = [
            .string("x"), .object(["v": .number(1)]),
            .object(["v": .object(["value": .string("ten"), "type": .string("Integer")])]),
            .object(["v": .object(["value": .string("{nope"), "type": .string("Json")])]),
            .object(["v": .object(["value": .number(1), "type": .string("Bytes")])]),
            .object(["v": .object(["value": .string("x"), "type": .string("Object"), "valueInfo": .object(["serializationDataFormat": .string("application/x-java-serialized-object")])])]),
        ]
        for value in bad {
            do {
                _ = try CamundaVariables.decode(value, field: "variables")
                Issue.record("accepted \(value.jsonText)")
            } catch {
                #expect(error.message.contains("variables"), "\(error.message)")
            }
        }
    }

    /// Camunda 8 keys arrive as strings of digits (or numbers); anything else is refused
    /// naming the field, and errors under /v2 are problem details.
    @Test func camunda8KeysAndProblemDetails() throws {
        #expect(try OrchestrationRest.key(["k": .string("72057594037927940")], "k") == 72_057_594_037_927_940)
        #expect(try OrchestrationRest.key(["k": .number(42)], "k") == 42)
        #expect(try OrchestrationRest.key(["k": .null], "k") == nil)
        for bad: JSONValue in [.string("12a"), .string(""), .string("99999999999999999999"), .number(1.5), .bool(true), .array([])] {
            do {
                _ = try OrchestrationRest.key(["processDefinitionKey": bad], "processDefinitionKey")
                Issue.record("accepted \(bad.jsonText)")
            } catch {
                #expect(error.message.contains("processDefinitionKey"), "\(error.message)")
            }
        }
        #expect(throws: GatewayError.self) { try OrchestrationRest.checkTenant(["tenantId": .string("acme")]) }
        try OrchestrationRest.checkTenant(["tenantId": .string("<default>")])

        let problem = try JSONValue.parse(GatewayError.notFound("job with key 7 is not active").problem(path: "/v2/jobs/7/completion"))
        #expect(problem == .object([
            "type": .string("about:blank"), "title": .string("NOT_FOUND"), "status": .number(404),
            "detail": .string("job with key 7 is not active"), "instance": .string("/v2/jobs/7/completion"),
        ]))
        #expect(GatewayError.invalid("x").problemTitle == "INVALID_ARGUMENT")
        #expect(GatewayError(.conflict, type: "InvalidState", "x").problemTitle == "INVALID_STATE")
    }
}
