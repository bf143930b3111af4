import ArgumentParser
import BatonLog
import BatonModel
import BatonStorage
import Glibc

/// `baton produce TOPIC < events.jsonl`: appends lines to a topic, as a Kafka producer
/// would, so the embedded log can feed `baton ingest` without Kafka.
struct Produce: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Append JSON lines (stdin or --file) to a topic, one entry per line.",
        discussion: """
            Each non-empty line becomes one entry. With --key-field the line is parsed as JSON \
            and the field's value (a string or whole number) picks the partition (murmur2, as \
            Kafka's Java client), so events of one order stay in order; otherwise lines go to \
            the partitions in turn. Lines are appended in batches of --batch, each durable \
            before the next; a line longer than --maximum-line-bytes stops the run with its \
            line number (what was appended before stays).
            """)

    @OptionGroup var data: DataDirectory

    @Argument(help: "The topic, for example orders.")
    var topic: String

    @Option(help: "Read this JSON-lines file instead of stdin.")
    var file: String?

    @Option(help: "A JSON path ($.orderId) whose value is the entry's key and picks its partition.")
    var keyField: String?

    @Option(help: "Partitions of the topic when it is created (an existing topic keeps its count; orders: 12).")
    var topicPartitions: Int32?

    @Option(help: "Lines appended per batch.")
    var batch = 1_000

    @Option(help: "The longest line accepted, in bytes.")
    var maximumLineBytes = 16 << 20

    func run() throws {
        guard batch > 0 else { throw ValidationError("--batch must be at least 1") }
        let path = keyField.map { $0.hasPrefix("$.") ? String($0.dropFirst(2)) : $0 }?.split(separator: ".").map(String.init)
        let log = try data.openLog(extraTopics: topicPartitions.map { [topic: $0] } ?? [:])
        let partitions = try log.partitionCount(of: topic)
        let lines = try LineReader(path: file, maximumLineBytes: maximumLineBytes)
        var pending: [Int32: (entries: [[UInt8]], keys: [String])] = [:]
        var count = 0
        var lineNumber = 0
        func flush() throws {
            for (partition, entries) in pending.sorted(by: { $0.key < $1.key }) {
                _ = try log.append(entries.entries, keys: entries.keys, to: TopicPartition(topic, partition))
            }
            pending = [:]
        }
        while let line = try lines.next() {
            lineNumber += 1
            guard !line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) else { continue }
            var key = ""
            var partition = Int32(count % Int(partitions))
            if let path {
                var value = try? JSONValue.parse(line)
                for segment in path { value = value?.objectValue?[segment] }
                switch value {
                case .string(let text)?: key = text
                case .number(let number)? where number == number.rounded(.towardZero): key = String(Int64(number))
                default: key = ""
                }
                // Lines without the key field go in turn; ingest dead-letters what it cannot use.
                if !key.isEmpty { partition = Murmur2.partition(forKey: key, partitions: partitions) }
            }
            pending[partition, default: ([], [])].entries.append(line)
            pending[partition, default: ([], [])].keys.append(key)
            count += 1
            if count % batch == 0 { try flush() }
        }
        try flush()
        print("appended \(count) entr\(count == 1 ? "y" : "ies") to \(topic) (\(partitions) partition\(partitions == 1 ? "" : "s"))")
    }
}

/// Lines of a file or stdin, each without its newline, bounded in length.
final class LineReader {
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var ended = false
    private let maximumLineBytes: Int
    private var lineNumber = 0

    init(path: String?, maximumLineBytes: Int) throws {
        self.maximumLineBytes = maximumLineBytes
        descriptor = try path.map { try POSIX.open($0, O_RDONLY) } ?? 0
    }

    deinit { if descriptor != 0 { close(descriptor) } }

    func next() throws -> [UInt8]? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 0x0A) {
                guard newline - start <= maximumLineBytes else {
                    throw ValidationError("line \(lineNumber + 1) is longer than --maximum-line-bytes (\(maximumLineBytes))")
                }
                let line = Array(buffer[start..<newline])
                start = newline + 1
                lineNumber += 1
                return line
            }
            if buffer.count - start > maximumLineBytes {
                throw ValidationError("line \(lineNumber + 1) is longer than --maximum-line-bytes (\(maximumLineBytes))")
            }
            if ended {
                guard start < buffer.count else { return nil }
                defer { start = buffer.count }
                lineNumber += 1
                return Array(buffer[start...])
            }
            if start > 0 {
                buffer.removeSubrange(0..<start)
                start = 0
            }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count >= 0 else { throw ValidationError("cannot read the input: errno \(errno)") }
            if count == 0 { ended = true } else { buffer.append(contentsOf: chunk[..<count]) }
        }
    }
}
