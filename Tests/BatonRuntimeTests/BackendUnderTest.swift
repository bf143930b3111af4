import BatonFileLog
import BatonKafka
import BatonLog
import BatonTestSupport

/// The log a process-level test runs `baton` on, and the arguments that point `baton` at
/// it: a data folder of the embedded file log, or a fresh topic prefix on the test broker.
struct BackendUnderTest {
    /// `--data-dir DIR` or `--kafka ADDRESS --topic-prefix PREFIX`.
    let arguments: [String]
    /// The same log, opened by the test itself.
    let log: any Log

    /// - Parameters:
    ///   - backend: "file" or "kafka".
    ///   - topics: partition counts of the topics the test creates first.
    init(_ backend: String, label: String, directory: TemporaryDirectory, topics: [String: Int32]) throws {
        if backend == "kafka" {
            guard let address = KafkaBroker.address else { throw KafkaBroker.notConfigured }
            let prefix = KafkaBroker.freshTopic(label) + "."
            arguments = ["--kafka", address, "--topic-prefix", prefix]
            log = try KafkaLog(try KafkaBroker.configuration(), topicPrefix: prefix, topics: topics)
        } else {
            arguments = ["--data-dir", directory.path + "/data"]
            log = try FileLog(directory: directory.path + "/data/log", topics: topics)
        }
    }

    /// The arguments quoted for a shell command line.
    var quoted: String { arguments.map { "'\($0)'" }.joined(separator: " ") }
}
