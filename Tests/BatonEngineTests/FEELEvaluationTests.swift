import BatonEngine
import BatonModel
import BatonTestSupport
import Testing

/// FEEL as Camunda 8 users write it and JUEL as Camunda 7 users write it, evaluated by the
/// engine in a script task (the harness's clock is 2023-11-14T22:13:20Z).
struct FEELEvaluationTests {
    static let variables: [String: JSONValue] = [
        "a": .number(2), "name": .string("x"), "none": .array([]),
        "items": .array([
            .object(["name": .string("a"), "price": .number(5)]),
            .object(["name": .string("b"), "price": .number(20)]),
        ]),
        "order": .object(["lines": .array([.number(3), .number(4)]), "region": .string("eu")]),
    ]

    /// The script task's BPMN, `expression` escaped for XML.
    func model(_ expression: String) -> [UInt8] {
        let escaped = expression.replacing("&", with: "&amp;").replacing("\"", with: "&quot;")
            .replacing("<", with: "&lt;").replacing(">", with: "&gt;")
        return bpmnDocument("""
            <bpmn:startEvent id="s"/>
            <bpmn:scriptTask id="calc"><bpmn:extensionElements><zeebe:script expression="\(escaped)" resultVariable="r"/></bpmn:extensionElements></bpmn:scriptTask>
            <bpmn:userTask id="hold"/>
            <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="calc"/><bpmn:sequenceFlow id="f2" sourceRef="calc" targetRef="hold"/>
            """)
    }

    /// The harness after a script task evaluated `expression` into `r`.
    func run(_ expression: String) throws -> EngineHarness {
        var given = try EngineHarness(bytes: model(expression), configuration: EngineConfiguration())
        given.start(Self.variables)
        return given
    }

    func result(_ expression: String) throws -> JSONValue? {
        try run(expression).instance?.variables["r"]
    }

    @Test(arguments: [
        // Literals, paths, filters (FEEL counts from 1)
        ("=[1, 2, 3][2]", "2"),
        ("=[1, 2, 3, 4][item > 2]", "[3,4]"),
        ("=items[price > 10].name", "[\"b\"]"),
        ("=items.name", "[\"a\",\"b\"]"),
        ("=items[-1].price", "20"),
        ("={a: 1, b: {c: 2}}.b.c", "2"),
        ("=order.lines[a]", "4"),
        // Control
        ("=if a > 1 then \"big\" else \"small\"", "\"big\""),
        ("=if missing then 1 else 2", "2"),
        ("=for x in [1, 2, 3] return x * 2", "[2,4,6]"),
        ("=for i in 1..3 return i", "[1,2,3]"),
        ("=for i in 3..1 return i", "[3,2,1]"),
        ("=for x in [1, 2], y in [10, 20] return x + y", "[11,21,12,22]"),
        ("=for line in order.lines return line * a", "[6,8]"),
        ("=some x in [1, 5] satisfies x > 4", "true"),
        ("=every x in [1, 5] satisfies x > 4", "false"),
        ("=every i in items satisfies i.price > 1", "true"),
        // Comparisons
        ("=5 between 1 and 10", "true"),
        ("=5 in (1, 5, 9)", "true"),
        ("=5 in [1..4]", "false"),
        ("=4 in ]1..4[", "false"),
        ("=4 in (1..4]", "true"),
        ("=5 in (< 3, > 4)", "true"),
        ("=\"b\" in [\"a\", \"b\"]", "true"),
        ("=order.region in (\"us\", \"eu\")", "true"),
        ("=a instance of number", "true"),
        ("=name instance of number", "false"),
        ("=date(\"2024-01-01\") instance of date", "true"),
        ("=is defined(a)", "true"),
        ("=is defined(nope)", "false"),
        ("=is defined(order.region)", "true"),
        ("=is defined(order.nope)", "false"),
        ("=2 ** 10", "1024"),
        ("=[1, 2] = [1, 2]", "true"),
        ("={a: 1} = {a: 1}", "true"),
        // Strings
        ("=string length(\"héllo\")", "5"),
        ("=upper case(\"abc\") + lower case(\"DEF\")", "\"ABCdef\""),
        ("=substring(\"foobar\", 3)", "\"obar\""),
        ("=substring(\"foobar\", -2, 1)", "\"a\""),
        ("=substring before(\"a-b\", \"-\") + substring after(\"a-b\", \"-\")", "\"ab\""),
        ("=contains(\"abc\", \"b\") and starts with(\"abc\", \"ab\") and ends with(\"abc\", \"bc\")", "true"),
        ("=split(\"a,b,,c\", \",\")", "[\"a\",\"b\",\"\",\"c\"]"),
        ("=string join([\"a\", \"b\"], \", \")", "\"a, b\""),
        ("=string join([\"a\", null, \"b\"], \"-\", \"[\", \"]\")", "\"[a-b]\""),
        ("=replace(\"a.b.c\", \"b\", \"x\")", "\"a.x.c\""),
        ("=matches(\"order-17\", \"order\")", "true"),
        ("=trim(\"  x \")", "\"x\""),
        ("=string(12) + string(true)", "\"12true\""),
        ("=number(\"12.5\") + 1", "13.5"),
        ("=\"work-\" + order.region", "\"work-eu\""),
        // Lists
        ("=list contains([1, 2], 2)", "true"),
        ("=count(items)", "2"),
        ("=sum([1, 2, 3]) + sum(4, 5)", "15"),
        ("=sum(items.price)", "25"),
        ("=min([3, 1, 2])", "1"),
        ("=max(\"a\", \"c\", \"b\")", "\"c\""),
        ("=mean([1, 2, 3, 4])", "2.5"),
        ("=median([3, 1, 2])", "2"),
        ("=product([2, 3])", "6"),
        ("=all([true, false])", "false"),
        ("=any([false, true])", "true"),
        ("=sublist([1, 2, 3, 4], 2, 2)", "[2,3]"),
        ("=append([1], 2, 3)", "[1,2,3]"),
        ("=concatenate([1], [2, 3])", "[1,2,3]"),
        ("=insert before([1, 3], 2, 2)", "[1,2,3]"),
        ("=remove([1, 2, 3], 2)", "[1,3]"),
        ("=reverse([1, 2])", "[2,1]"),
        ("=index of([1, 2, 1], 1)", "[1,3]"),
        ("=union([1, 2], [2, 3])", "[1,2,3]"),
        ("=distinct values([1, 1, 2])", "[1,2]"),
        ("=flatten([1, [2, [3]]])", "[1,2,3]"),
        ("=is empty(none)", "true"),
        ("=count(taskResults)", "0"),
        // Numbers
        ("=decimal(1.125, 2)", "1.12"),
        ("=round half up(2.5, 0)", "3"),
        ("=round half down(2.5, 0)", "2"),
        ("=round up(1.21, 1)", "1.3"),
        ("=round down(1.29, 1)", "1.2"),
        ("=floor(-1.5) + ceiling(1.2)", "0"),
        ("=abs(-3)", "3"),
        ("=modulo(-5, 3)", "1"),
        ("=sqrt(16)", "4"),
        ("=odd(3) and not(even(3))", "true"),
        // Contexts
        ("=get value({a: 1}, \"a\")", "1"),
        ("=get entries({a: 1})", "[{\"key\":\"a\",\"value\":1}]"),
        ("=put({a: 1}, \"b\", 2)", "{\"a\":1,\"b\":2}"),
        ("=context merge([{a: 1}, {a: 2, b: 3}])", "{\"a\":2,\"b\":3}"),
        ("=get or else(nope, \"d\")", "\"d\""),
        // Time: the step's clock, calendar arithmetic, properties
        ("=now()", "\"2023-11-14T22:13:20Z\""),
        ("=today()", "\"2023-11-14\""),
        ("=now() > date and time(\"2020-01-01T00:00:00Z\")", "true"),
        ("=date(\"2024-02-28\") + duration(\"P1D\")", "\"2024-02-29\""),
        ("=date and time(\"2024-01-31T10:00:00Z\") + duration(\"P1M\")", "\"2024-02-29T10:00:00Z\""),
        ("=date and time(\"2024-01-01T10:00:00+01:00\") + duration(\"PT90M\")", "\"2024-01-01T11:30:00+01:00\""),
        ("=date(\"2024-03-01\") - date(\"2024-02-01\")", "\"P29D\""),
        ("=date and time(\"2024-01-02T00:00:00Z\") - date and time(\"2024-01-01T12:30:00Z\")", "\"PT11H30M\""),
        ("=duration(\"PT90M\")", "\"PT1H30M\""),
        ("=duration(\"P1Y2M\") + duration(\"P10M\")", "\"P2Y\""),
        ("=duration(\"PT1H\") * 3", "\"PT3H\""),
        ("=date and time(\"2024-01-01T10:00:00+01:00\") = date and time(\"2024-01-01T09:00:00Z\")", "true"),
        ("=date(\"2024-01-01\") < date(\"2024-01-02\")", "true"),
        ("=date(\"2024-05-17\").weekday", "5"),
        ("=date and time(\"2024-01-01T10:20:30\").hour", "10"),
        ("=duration(\"P2DT3H\").days", "2"),
        ("=day of week(date(\"2024-05-17\"))", "\"Friday\""),
        ("=month of year(date(\"2024-05-17\"))", "\"May\""),
        ("=day of year(date(\"2024-02-01\"))", "32"),
        ("=week of year(date(\"2021-01-01\"))", "53"),
        ("=last day of month(date(\"2024-02-10\"))", "\"2024-02-29\""),
        ("=years and months duration(date(\"2020-01-15\"), date(\"2021-03-14\"))", "\"P1Y1M\""),
        ("=time(\"10:30:00\") + duration(\"PT45M\")", "\"11:15:00\""),
        ("=date(2024, 2, 29)", "\"2024-02-29\""),
        ("=date(date and time(\"2024-05-17T23:00:00Z\"))", "\"2024-05-17\""),
        // JUEL as Camunda 7 models write it (lists count from 0)
        ("${empty none}", "true"),
        ("${not empty name}", "true"),
        ("${a > 1 ? 'big' : 'small'}", "\"big\""),
        ("${items.size()}", "2"),
        ("${name.equals('x') && a eq 2}", "true"),
        ("${order.lines.contains(4)}", "true"),
        ("${execution.getVariable('a') + 1}", "3"),
        ("${name.toUpperCase()}", "\"X\""),
        ("${items[1].name}", "\"b\""),
        ("${items[a - 1].name}", "\"b\""),
        ("${order['region']}", "\"eu\""),
        ("${name.length() == 1 and !empty items}", "true"),
    ])
    func evaluates(_ expression: String, _ expected: String) throws {
        let value = try #require(try result(expression), "no result for \(expression)")
        #expect(value == (try JSONValue.parse(expected)), "\(expression) gave \(value.jsonText)")
    }

    /// Errors at run time become incidents on the script task, naming what went wrong; the
    /// work budget stops loops that would stall the partition.
    @Test(arguments: [
        ("=for i in 1..10000000 return i", "units of work"),
        ("=count(for i in 1..2000 return for j in 1..2000 return j)", "units of work"),
        ("=substring(1, 2)", "argument 1 must be a string"),
        ("=split(\"a\", \"[,]\")", "regular expression"),
        ("=date(\"2024-13-01\")", "out of range"),
        ("=date and time(\"2024-01-01T10:00:00@Europe/Berlin\")", "zone names"),
        ("=remove([1], 5)", "outside the list"),
        ("=[1, 2][\"x\" + \"y\"]", "true or false"),
        ("${nothing.size()}", "called on null"),
        ("${name.get(0)}", "cannot be called"),
    ])
    func failuresBecomeIncidents(_ expression: String, _ fragment: String) throws {
        let given = try run(expression)
        let message = try #require(given.instance?.incidents.values.first?.message, "no incident for \(expression)")
        #expect(message.contains(fragment), "\(expression): \(message)")
    }

    /// Unknown functions, wrong arities and non-deterministic functions are found when the
    /// model is deployed, not when a token gets there.
    @Test(arguments: ["=f(1)", "=substring(\"a\")", "=uuid()", "=random number()", "=count()"])
    func badCallsAreRefusedAtDeployment(_ expression: String) throws {
        let problems = try compileOne(model(expression)).problems
        #expect(problems.map(\.rule) == [.scriptInvalid], "\(problems)")
    }
}

/// Camunda 8 lets a task's retries be an expression: evaluated when the task is created.
struct TaskRetriesExpressionTests {
    func started(retries: String) throws -> EngineHarness {
        var given = try EngineHarness("""
            <bpmn:startEvent id="s"/>
            <bpmn:serviceTask id="work"><bpmn:extensionElements><zeebe:taskDefinition type="work" retries="\(retries)"/></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="work"/>
            """)
        given.start(["attempts": .number(5), "name": .string("x")])
        return given
    }

    @Test func retriesComeFromTheExpression() throws {
        let given = try started(retries: "=attempts + 1")
        #expect(given.instance?.tasks.values.first?.retries == 6)
    }

    @Test(arguments: ["=name", "=attempts * 1000", "=attempts / 2 + 0.25"])
    func retriesThatAreNoWholeNumberRaiseAnIncident(_ retries: String) throws {
        let given = try started(retries: retries)
        #expect(given.instance?.tasks.isEmpty == true)
        let message = try #require(given.instance?.incidents.values.first?.message)
        #expect(message.contains("retries '\(retries)'") && message.contains("whole number"), "\(message)")
    }
}
