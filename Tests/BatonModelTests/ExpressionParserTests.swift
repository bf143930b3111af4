import BatonModel
import Testing

struct ExpressionParserTests {
    @Test func feelAndJuelParseToTheSameTree() throws {
        let feel = try ParsedExpression.parse("=order.total > 100 and not(customer.blocked)")
        let juel = try ParsedExpression.parse("${order.total > 100 && !(customer.blocked)}")
        #expect(feel.dialect == .feel && juel.dialect == .juel)
        #expect(feel.root == juel.root)
        #expect(feel.root == .binary(
            .and,
            .binary(.greater, .path([.field("order"), .field("total")]), .number(100)),
            .unary(.not, .path([.field("customer"), .field("blocked")]))))
    }

    @Test func precedenceFollowsArithmeticThenComparisonThenLogic() throws {
        let parsed = try ParsedExpression.parse("=a + b * 2 = 10 or c")
        #expect(parsed.root == .binary(
            .or,
            .binary(.equal, .binary(.add, .path([.field("a")]), .binary(.multiply, .path([.field("b")]), .number(2))), .number(10)),
            .path([.field("c")])))
    }

    @Test(arguments: [
        ("=x == 1", BinaryOperator.equal), ("=x != 1", .notEqual), ("${x eq 1}", .equal), ("${x ne 1}", .notEqual),
        ("${x lt 1}", .less), ("${x le 1}", .lessOrEqual), ("${x gt 1}", .greater), ("${x ge 1}", .greaterOrEqual),
        ("=x <= 1", .lessOrEqual), ("=x >= 1", .greaterOrEqual), ("=x % 1", .remainder), ("${x div 1}", .divide),
    ])
    func operatorsOfBothDialects(_ text: String, _ op: BinaryOperator) throws {
        guard case .binary(let parsed, _, _) = try ParsedExpression.parse(text).root else {
            Issue.record("not a binary expression: \(text)")
            return
        }
        #expect(parsed == op)
    }

    @Test func literalsAndPaths() throws {
        #expect(try ParsedExpression.parse("=null").root == .null)
        #expect(try ParsedExpression.parse("=true").root == .bool(true))
        #expect(try ParsedExpression.parse("=3.25").root == .number(3.25))
        #expect(try ParsedExpression.parse("='single'").root == .string("single"))
        #expect(try ParsedExpression.parse("=\"a\\\"b\"").root == .string("a\"b"))
        // FEEL counts from 1, and from the end with negative indexes; JUEL (Java) from 0.
        #expect(try ParsedExpression.parse("=items[2].price").root == .path([.field("items"), .index(1), .field("price")]))
        #expect(try ParsedExpression.parse("=items[-1]").root == .path([.field("items"), .fromEnd(1)]))
        #expect(try ParsedExpression.parse("=items[0]").root == .path([.field("items"), .fromEnd(0)]))
        #expect(try ParsedExpression.parse("${items[2].price}").root == .path([.field("items"), .index(2), .field("price")]))
        // Anything else inside [ ] is computed: a JUEL index or key, a FEEL filter.
        #expect(try ParsedExpression.parse("${items[i + 1]}").root
            == .subscripted(.path([.field("items")]), .binary(.add, .path([.field("i")]), .number(1))))
        #expect(try ParsedExpression.parse("=items[price > 10].name").root
            == .access(.filter(.path([.field("items")]), .binary(.greater, .path([.field("price")]), .number(10))), [.field("name")]))
        #expect(try ParsedExpression.parse("=m[\"odd key\"]").root == .path([.field("m"), .field("odd key")]))
        #expect(try ParsedExpression.parse("=-x").root == .unary(.negate, .path([.field("x")])))
        #expect(try ParsedExpression.parse("  ${ a }  ").source == "${ a }")
    }

    @Test(arguments: [
        ("order.total > 1", "not an expression"),
        ("=", "empty"),
        ("=a >", "expected a value"),
        ("=(a", "expected ')'"),
        ("=a b", "expected end of expression"),
        ("=\"open", "string is not closed"),
        ("=a # b", "unexpected character '#'"),
        ("=a.", "field name"),
        ("=f(1)", "unknown function 'f'"),
        ("=substring(\"a\")", "substring() takes 2 to 3 argument(s), not 1"),
        ("=substring(string: \"a\", start position: 1)", "named arguments"),
        ("=random number()", "replayed"),
        ("=if a then b", "expected 'else'"),
        ("=for x in xs x", "expected 'return'"),
        ("=some x in xs return x", "expected 'satisfies'"),
        ("=x instance of thing", "expected a type"),
        ("=x in [1..", "expected a value"),
        ("={a: 1, a: 2}", "key 'a' twice"),
        ("${a.run()}", "method 'run' is not supported"),
        ("${a.size(1)}", "size() takes 0 argument(s), not 1"),
        ("${}", "empty"),
    ])
    func malformedExpressionsNameTheProblem(_ text: String, _ fragment: String) {
        #expect {
            try ParsedExpression.parse(text)
        } throws: { error in
            "\(error)".contains(fragment)
        }
    }

    @Test func errorOffsetPointsAtTheToken() {
        do {
            _ = try ParsedExpression.parse("=amount > )")
            Issue.record("expected an error")
        } catch {
            #expect(error.offset == 10)
        }
    }

    @Test func lengthAndDepthAreBounded() {
        let long = "=" + String(repeating: "a + ", count: 2000) + "a"
        #expect(throws: ExpressionError.self) { try ParsedExpression.parse(long) }
        let deep = "=" + String(repeating: "(", count: 200) + "a" + String(repeating: ")", count: 200)
        #expect { try ParsedExpression.parse(deep) } throws: { "\($0)".contains("deeper") }
        let nots = "=" + String(repeating: "not ", count: 500) + "a"
        #expect { try ParsedExpression.parse(nots) } throws: { "\($0)".contains("deeper") }
        let negations = "=" + String(repeating: "-", count: 500) + "a"
        #expect { try ParsedExpression.parse(negations) } throws: { "\($0)".contains("deeper") }
        let fine = "=" + String(repeating: "(", count: 30) + "a" + String(repeating: ")", count: 30)
        #expect((try? ParsedExpression.parse(fine)) != nil)
    }
}
