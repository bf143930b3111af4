@testable import BatonGateway
import Testing

/// The incidents page's form bodies are hostile until checked: decoded as browsers encode
/// them, bounded, and refused with the reason when broken.
struct PageFormTests {
    @Test func formsDecodeAsBrowsersEncodeThem() throws {
        #expect(try HTMLPage.form(Array("incident=42&errorContains=HTTP+503%21&all=".utf8)) == ["incident": "42", "errorContains": "HTTP 503!", "all": ""])
        #expect(try HTMLPage.form(Array("name=%C3%A9t%C3%A9".utf8)) == ["name": "été"])
        #expect(try HTMLPage.form([]) == [:])
        #expect(HTMLPage.url("order 1/ä") == "order%201%2F%C3%A4")
    }

    @Test func brokenOrOversizedFormsAreRefusedWithTheReason() {
        for (body, reason) in [
            ("a=%4", "broken percent escape"), ("a=%zz", "broken percent escape"),
            ((0..<65).map { "f\($0)=1" }.joined(separator: "&"), "more than 64 fields"),
            ("note=" + String(repeating: "x", count: 4097), "longer than 4096 bytes"),
        ] {
            #expect { try HTMLPage.form(Array(body.utf8)) } throws: { "\($0)".contains(reason) }
        }
    }
}
