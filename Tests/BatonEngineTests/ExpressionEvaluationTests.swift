import BatonEngine
import BatonModel
import BatonTestSupport
import Testing

/// Expressions as the engine evaluates them, seen through a script task's result.
struct ExpressionEvaluationTests {
    func evaluate(_ expression: String, _ variables: [String: JSONValue] = [:]) throws -> JSONValue? {
        var given = try EngineHarness("""
            <bpmn:startEvent id="s"/>
            <bpmn:scriptTask id="calc"><bpmn:extensionElements><zeebe:script expression="\(expression)" resultVariable="r"/></bpmn:extensionElements></bpmn:scriptTask>
            <bpmn:userTask id="hold"/>
            <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="calc"/><bpmn:sequenceFlow id="f2" sourceRef="calc" targetRef="hold"/>
            """)
        given.start(variables)
        return given.instance?.variables["r"]
    }

    @Test(arguments: [
        ("=1 + 2 * 3", JSONValue.number(7)),
        ("=(1 + 2) * 3", .number(9)),
        ("=7 % 4", .number(3)),
        ("=-a", .number(-2)),
        ("=&quot;n=&quot; + a", .string("n=2")),
        ("=a + null", .null),
        ("=missing.deep.path", .null),
        ("=items[1].name", .string("a")),
        ("=items[2].name", .string("b")),
        ("=items[-1].name", .string("b")),
        ("=items[-2].name", .string("a")),
        ("=items[-3]", .null),
        ("=items[0]", .null),
        ("=items[9]", .null),
        ("=a &gt; 1 and b", .bool(true)),
        ("=false and null", .bool(false)),
        ("=true and null", .null),
        ("=true or null", .bool(true)),
        ("=not(b)", .bool(false)),
        ("=name = &quot;x&quot;", .bool(true)),
        ("=name != null", .bool(true)),
        ("=&quot;abc&quot; &lt; &quot;abd&quot;", .bool(true)),
        ("=a &lt; null", .null),
        ("${a ge 2 &amp;&amp; !(name eq 'y')}", .bool(true)),
        ("=taskResults", .array([])),
    ])
    func evaluates(_ expression: String, _ expected: JSONValue) throws {
        let variables: [String: JSONValue] = [
            "a": .number(2), "b": .bool(true), "name": .string("x"),
            "items": .array([.object(["name": .string("a")]), .object(["name": .string("b")])]),
        ]
        #expect(try evaluate(expression, variables) == expected)
    }

    @Test(arguments: ["=1 / 0", "=&quot;a&quot; - 1", "=1 &lt; &quot;a&quot;", "=not(3)", "=true + 1"])
    func errorsBecomeIncidents(_ expression: String) throws {
        var given = try EngineHarness("""
            <bpmn:startEvent id="s"/>
            <bpmn:scriptTask id="calc"><bpmn:extensionElements><zeebe:script expression="\(expression)" resultVariable="r"/></bpmn:extensionElements></bpmn:scriptTask>
            <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="calc"/>
            """)
        #expect(given.describe(given.start()).last == "incidentCreated calc expressionFailed")
        #expect(given.instance?.incidents.values.first?.message.hasPrefix("script '") == true)
    }

    @Test func jsonTextRoundTrips() throws {
        let text = #"{"a":[1,2.5,null,true,"x\"y\n"],"b":{"c":-3},"é":"\u00e9"}"#
        let value = try JSONValue.parse(text)
        #expect(value["b"] == .object(["c": .number(-3)]))
        #expect(try JSONValue.parse(value.jsonText) == value)
        #expect(value.jsonText == #"{"a":[1,2.5,null,true,"x\"y\n"],"b":{"c":-3},"é":"é"}"#)
        #expect(throws: JSONError.self) { try JSONValue.parse("{\"a\":") }
        #expect(throws: JSONError.self) { try JSONValue.parse(String(repeating: "[", count: 100) + String(repeating: "]", count: 100)) }
        #expect(throws: JSONError.self) { try JSONValue.parse("[1] x") }
    }
}
