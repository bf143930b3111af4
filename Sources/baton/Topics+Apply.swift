import ArgumentParser
import BatonKafka
import BatonLog
import BatonModel
import BatonStorage

/// `baton topics apply`: makes a Kafka cluster hold the topics declared in topics/.
struct TopicsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics", abstract: "Kafka topics Baton uses, as declared in topics/.", subcommands: [Apply.self, Lag.self])

    struct Declaration {
        let file: String
        let name: String
        let isPattern: Bool
        let partitions: Int32
        let replication: Int32
        let settings: [String: String]

        init(file: String, json: JSONValue) throws {
            self.file = file
            guard case .string(let name)? = json["name"] else { throw ValidationError("\(file): 'name' must be a string") }
            guard case .number(let partitions)? = json["partitions"], partitions >= 1 else { throw ValidationError("\(file): 'partitions' must be a number of at least 1") }
            guard case .number(let replication)? = json["replication"], replication >= 1 else { throw ValidationError("\(file): 'replication' must be a number of at least 1") }
            var settings: [String: String] = [:]
            for (key, value) in json["config"]?.objectValue ?? [:] {
                guard case .string(let text) = value else { throw ValidationError("\(file): config '\(key)' must be a string") }
                settings[key] = text
            }
            self.name = name
            isPattern = json["pattern"] == .bool(true)
            self.partitions = Int32(partitions)
            self.replication = Int32(replication)
            self.settings = settings
        }
    }

    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the declared topics that are missing; report those whose partition count differs.",
            discussion: """
                Reads every *.json declaration in --topics-dir. A declaration with "pattern": true \
                (task topics) describes topics created on first use and is only listed. Existing \
                topics are never changed: a different partition count or a configuration value \
                that differs from the declaration is reported (exit status 2), so an operator \
                decides (changing the partition count would move correlation ids to other \
                partitions).
                """)

        @Option(help: "Kafka bootstrap servers, HOST:PORT[,HOST:PORT].") var kafka: String
        @Option(name: .customShort("X"), help: "A librdkafka setting, key=value (repeatable).") var kafkaSettings: [String] = []
        @Option(help: "A prefix for every topic name.") var topicPrefix = ""
        @Option(help: "Folder of the topic declarations.") var topicsDir = "topics"

        func run() throws {
            let configuration = KafkaConfiguration(bootstrapServers: kafka, overrides: try KafkaConfiguration.overrides(kafkaSettings))
            let admin = try KafkaAdmin(configuration)
            let files = POSIX.list(topicsDir).filter { $0.hasSuffix(".json") }
            guard !files.isEmpty else { throw ValidationError("no *.json topic declarations in \(topicsDir)") }
            var differences = 0
            for file in files {
                let path = topicsDir + "/" + file
                let declaration = try Declaration(file: path, json: try JSONValue.parse(try POSIX.readFile(path)))
                let name = topicPrefix + declaration.name
                if declaration.isPattern {
                    print("\(name): created on first use with \(declaration.partitions) partition(s)")
                    continue
                }
                if let existing = try admin.partitionCount(name) {
                    if existing == declaration.partitions {
                        print("\(name): exists with \(existing) partition(s), as declared")
                    } else {
                        differences += 1
                        print("\(name): DIFFERS: \(existing) partition(s), declared \(declaration.partitions) (left as it is)")
                    }
                    do {
                        let actual = try admin.topicConfiguration(name)
                        for key in declaration.settings.keys.sorted() where actual[key] != declaration.settings[key] {
                            differences += 1
                            print("\(name): DIFFERS: \(key) is \(actual[key] ?? "not set"), declared \(declaration.settings[key]!) (left as it is)")
                        }
                    } catch {
                        print("\(name): its configuration could not be read (\(error)); not compared")
                    }
                } else {
                    try admin.createTopic(name, partitions: declaration.partitions, replication: declaration.replication, settings: declaration.settings)
                    print("\(name): created with \(declaration.partitions) partition(s), replication \(declaration.replication)")
                }
            }
            if differences > 0 { throw ExitCode(2) }
        }
    }
}
