import BatonTestSupport
import BatonBPMN
import Testing

/// A BPMN file is untrusted input: each of these must give a clear error, never a crash,
/// never a read of a local file, never unbounded memory.
struct HostileInputTests {
    func readError(_ bytes: [UInt8]) -> BPMNReadError? {
        do {
            _ = try BPMNReader.read(bytes, fileName: "hostile.bpmn")
            return nil
        } catch {
            return error
        }
    }

    @Test func externalEntityIsRefusedAndNoFileIsRead() throws {
        let text = """
            <?xml version="1.0"?>
            <!DOCTYPE definitions [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
            <definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">
            <process id="p" name="&xxe;"/></definitions>
            """
        let error = try #require(readError(Array(text.utf8)))
        #expect(error.message.contains("DOCTYPE"))
        #expect(error.line == 2)
        #expect(!error.description.contains("root:"))
    }

    @Test func billionLaughsIsRefusedQuickly() throws {
        var text = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n"
        for level in 1...9 {
            text += "<!ENTITY lol\(level) \"" + String(repeating: "&lol\(level == 1 ? "" : String(level - 1));", count: 10) + "\">\n"
        }
        text += "]>\n<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\"><process id=\"&lol9;\"/></definitions>"
        let error = try #require(readError(Array(text.utf8)))
        #expect(error.message.contains("DOCTYPE"))
    }

    @Test func fiftyMegabyteFileIsRefusedBySize() throws {
        let head = Array("<?xml version=\"1.0\"?><definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\"><!--".utf8)
        let tail = Array("--></definitions>".utf8)
        var bytes = [UInt8](repeating: UInt8(ascii: "x"), count: 50 * 1024 * 1024)
        bytes.replaceSubrange(0..<head.count, with: head)
        bytes.replaceSubrange(bytes.count - tail.count..<bytes.count, with: tail)
        let error = try #require(readError(bytes))
        #expect(error.message.contains("limited to 16 MiB"))
    }

    @Test func fiftyMegabyteFileOnDiskIsRefusedBeforeReading() throws {
        let path = "/tmp/baton-hostile-\(getpid()).bpmn"
        let file = try #require(fopen(path, "w"))
        fseek(file, 50 * 1024 * 1024, SEEK_SET)
        fputc(0x3E, file)
        fclose(file)
        defer { unlink(path) }
        #expect(throws: BPMNReadError.self) { try BPMNReader.read(path: path) }
        do { _ = try BPMNReader.read(path: path) } catch { #expect(error.message.contains("limited to 16 MiB")) }
    }

    @Test func truncatedFileNamesTheLine() throws {
        let whole = Array(bpmnDocument("<bpmn:startEvent id=\"s\"/><bpmn:endEvent id=\"e\"/>"))
        let error = try #require(readError(Array(whole.prefix(whole.count - 40))))
        #expect(error.line != nil)
        #expect(error.description.hasPrefix("hostile.bpmn:"))
    }

    @Test func nonBPMNRootElement() throws {
        let error = try #require(readError(Array("<?xml version=\"1.0\"?>\n<html><body/></html>".utf8)))
        #expect(error.message.contains("<html>"))
        #expect(error.message.contains("<definitions>"))
        #expect(error.line == 2)
    }

    @Test func definitionsInTheWrongNamespace() throws {
        let error = try #require(readError(Array("<definitions xmlns=\"urn:not-bpmn\"/>".utf8)))
        #expect(error.message.contains("urn:not-bpmn"))
    }

    @Test func invalidUTF8() throws {
        var bytes = Array("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\">\n<process id=\"".utf8)
        bytes.append(contentsOf: [0xC3, 0x28, 0xFF, 0xFE])
        bytes.append(contentsOf: Array("\"/></definitions>".utf8))
        let error = try #require(readError(bytes))
        #expect(error.line == 3)
        #expect(error.message.lowercased().contains("utf-8") || error.message.lowercased().contains("encoding"))
    }

    @Test func emptyAndGarbageInput() throws {
        #expect(readError([])?.message == "file is empty")
        #expect(readError(Array(repeating: 0, count: 64)) != nil)
        #expect(readError(Array("not xml at all".utf8)) != nil)
    }

    @Test func deepNestingIsBounded() throws {
        let depth = 100_000
        var text = "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\">"
        text += String(repeating: "<a>", count: depth) + String(repeating: "</a>", count: depth) + "</definitions>"
        #expect(readError(Array(text.utf8)) != nil)
    }

    @Test func missingRequiredAttributeNamesElementAndLine() throws {
        let error = try #require(readError(bpmnDocument("\n<bpmn:sequenceFlow id=\"f\" targetRef=\"x\"/>")))
        #expect(error.message.contains("sourceRef"))
        #expect(error.line == 6)
    }

    /// libxml2's words are translated into what is wrong in the file, with the line; its own
    /// words stay in parentheses.
    @Test(arguments: [
        ("<?xml version=\"1.0\"encoding=\"UTF-8\"?>\n<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\"/>", "its attributes need spaces between them", 1),
        ("<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\">\n<process id=\"p\">\n</definitions>", "</definitions> closes <process> opened at line 2", 3),
        ("<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\">\n<process id=\"p\">", "is the file cut short?", 2),
        ("<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\">\n<process id=\"p\" name=\"R&D\"/></definitions>", "write it as &amp;", 2),
        ("<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\">\n<process id=p/></definitions>", "every value needs quotes", 2),
        ("{\"not\": \"xml\"}", "does not start with XML", 1),
    ])
    func xmlMistakesAreExplained(_ text: String, _ fragment: String, _ line: Int) throws {
        let error = try #require(readError(Array(text.utf8)))
        #expect(error.message.contains(fragment) && error.message.contains("(libxml2: "), "\(error.message)")
        #expect(error.line == line, "\(error)")
    }

    /// A libxml2 warning (here: XML version 1.1, which some tools write) does not stop the read.
    @Test func xmlWarningsAreNotFatal() throws {
        let text = """
            <?xml version="1.1" encoding="UTF-8"?>
            <definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">
            <process id="p" isExecutable="true"><startEvent id="s"/></process></definitions>
            """
        let document = try BPMNReader.read(Array(text.utf8), fileName: "warned.bpmn")
        #expect(document.processes.map(\.id) == ["p"])
    }
}

#if canImport(Glibc)
import Glibc
#endif
