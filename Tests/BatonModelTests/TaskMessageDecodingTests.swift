import BatonModel
import Testing

/// Every worker and gateway reads task messages from topics any producer can write to: the
/// member-by-member reader gives back what the engine wrote, in any field order, and refuses
/// the rest naming the field, without trapping on numbers that do not fit.
struct TaskMessageDecodingTests {
    static let message = TaskMessage(
        taskKey: 4_294_967_300, attempt: 2, topicName: "charge-payment", activityId: "Charge", activityInstanceId: "4294967299",
        processInstanceId: "4294967297", processDefinitionKey: "order:1", processDefinitionId: "order", businessKey: "b-\"1\"",
        correlationId: "order-7", variables: ["amount": .number(12.5), "items": .array([.string("a"), .null])], retries: 3,
        priority: -1, tenantId: "acme", lockExpirationTime: 1_800_000_000_000, partition: 5,
        processTaskResults: .object(["correlationId": .string("order-7"), "taskResults": .array([.object(["ok": .bool(true)])])]))

    @Test func whatTheEngineWritesReadsBackInAnyFieldOrder() throws {
        #expect(try TaskMessage(jsonBytes: Self.message.jsonBytes()) == Self.message)
        #expect(try TaskMessage(jsonBytes: Self.message.jsonBytes(workerId: "w-1")) == Self.message)
        // Sorted keys (another order), whitespace, and a field a later version may add.
        guard case .object(var fields) = Self.message.json else { Issue.record("not an object"); return }
        fields["addedLater"] = .object(["x": .array([])])
        let spaced = "  " + String(decoding: JSONValue.object(fields).jsonBytes, as: UTF8.self).replacingOccurrences(",", ", \n") + " \t"
        #expect(try TaskMessage(jsonBytes: Array(spaced.utf8)) == Self.message)
        var untenanted = Self.message
        untenanted.tenantId = nil
        #expect(try TaskMessage(jsonBytes: untenanted.jsonBytes()) == untenanted)
    }

    @Test(arguments: [
        ("attempt", "1e10"), ("attempt", "2.5"), ("retries", "-2147483649"), ("priority", "\"1\""), ("partition", "null"),
        ("lockExpirationTime", "1e300"), ("lockExpirationTime", "{}"), ("attempt", "true"),
    ])
    func numbersThatDoNotFitTheirFieldAreRefusedByName(_ field: String, _ value: String) {
        let text = replacing(field, with: value)
        #expect {
            try TaskMessage(jsonBytes: Array(text.utf8))
        } throws: { error in
            "\(error)".contains("'\(field)'") && "\(error)".contains("whole number")
        }
    }

    @Test func missingOrMistypedFieldsAreNamed() {
        for field in ["taskKey", "topicName", "correlationId", "retries", "partition"] {
            let text = replacing(field, with: nil)
            #expect(throws: DecodingError.self, "without \(field)") { try TaskMessage(jsonBytes: Array(text.utf8)) }
            #expect { try TaskMessage(jsonBytes: Array(text.utf8)) } throws: { "\($0)".contains("'\(field)'") }
        }
        #expect { try TaskMessage(jsonBytes: Array(replacing("taskKey", with: "\"x\"").utf8)) } throws: { "\($0)".contains("'taskKey'") }
        #expect { try TaskMessage(jsonBytes: Array(replacing("topicName", with: "7").utf8)) } throws: { "\($0)".contains("'topicName'") }
    }

    @Test(arguments: ["", "[]", "{", "{\"taskKey\"}", "null", "{} x", String(repeating: "[", count: 100)])
    func malformedTextIsRefused(_ text: String) {
        #expect(throws: DecodingError.self) { try TaskMessage(jsonBytes: Array(text.utf8)) }
    }

    @Test func anOversizedMessageIsRefusedBeforeReading() {
        let huge = [UInt8](repeating: UInt8(ascii: " "), count: JSONValue.maximumBytes + 1)
        #expect { try TaskMessage(jsonBytes: huge) } throws: { "\($0)".contains("limit") }
    }

    /// The message's JSON with `field` set to the raw `value` (or left out when nil).
    func replacing(_ field: String, with value: String?) -> String {
        guard case .object(let fields) = Self.message.json else { return "" }
        var members: [String] = []
        for key in fields.keys.sorted() {
            if key == field {
                if let value { members.append("\"\(key)\":\(value)") }
            } else {
                members.append("\"\(key)\":" + String(decoding: fields[key]!.jsonBytes, as: UTF8.self))
            }
        }
        return "{" + members.joined(separator: ",") + "}"
    }
}

extension String {
    /// Every `target` replaced (the tests avoid Foundation).
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
