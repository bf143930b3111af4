import ArgumentParser
import BatonIngest
import BatonKafka
import BatonLog
import BatonModel
import BatonWorker
import BatonStorage
import Logging
import ServiceLifecycle

/// `baton ingest --rules FILE`: order events from a source topic become commands.
struct Ingest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Turn the events of a source topic (orders) into started instances and messages, by rules.",
        discussion: """
            Reads the rules file's source topic as a member of the consumer group \
            baton-ingest.<topic> (several ingest processes share its partitions), maps each JSON \
            event by the first rule that matches it (start a process, publish a message, or both: \
            start or correlate), appends the command to the journal partition of the event's \
            correlation id, and commits the source offset only once that append is durable. The \
            engine applies each source offset once, so events redelivered after a crash are \
            answered as duplicates: no order is lost or started twice. Events that cannot be \
            used (not JSON, too large, no rule matches, no correlation id, process not deployed) \
            go to baton.dead-letter with the reason and their topic, partition and offset; \
            ingestion goes on. bpmn/order-events.yaml is the example. SIGINT or SIGTERM stop it \
            after the round in flight.
            """)

    @OptionGroup var data: DataDirectory

    @Option(help: "The rules file (YAML or JSON).")
    var rules: String

    @Flag(help: "Stop once every event of the source topic is ingested (for scripts and the demo).")
    var untilCaughtUp = false

    @Option(help: "Most events read from one source partition at a time, 1 to 100000: their commands are appended and their offset committed together (smaller: less redelivered after a crash, more commits).")
    var eventsPerRead = 1_000

    func validate() throws {
        guard (1...100_000).contains(eventsPerRead) else {
            throw ValidationError("--events-per-read must be 1 to 100000, not \(eventsPerRead)")
        }
    }

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = Logger(label: "baton-ingest")
        let log = try data.openLog()
        let ingestor = try makeIngestor(rulesFile: rules, log: log, data: data)
        let partitions = try log.partitionCount(of: ingestor.rules.source)
        print("ingest: \(ingestor.rules.source) (\(partitions) partition\(partitions == 1 ? "" : "s")) → \(Topics.journal) as group \(ingestor.group), \(ingestor.rules.rules.count) rule(s)")
        let service = IngestService(ingestor: ingestor, untilCaughtUp: untilCaughtUp, eventsPerRead: eventsPerRead)
        // Caught up (--until-caught-up) is a normal end, not a failure of the group.
        let configured = ServiceGroupConfiguration.ServiceConfiguration(service: service, successTerminationBehavior: .gracefullyShutdownGroup)
        let group = ServiceGroup(configuration: .init(services: [configured], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        let statistics = ingestor.statistics
        print("ingest: stopped after \(statistics.events) events, \(statistics.commands) commands, \(statistics.deadLetters) dead letters")
    }
}

/// Reads the rules and joins the source topic's group on either backend.
func makeIngestor(rulesFile: String, log: any Log, data: DataDirectory) throws -> Ingestor {
    let text = String(decoding: try POSIX.readFile(rulesFile), as: UTF8.self)
    let rules = try IngestRules.load(text, file: rulesFile)
    let ownership: any SourceOwnership
    if let kafka = log as? KafkaLog {
        // Kafka refuses commits from outside a group's generation, so the members meet in a
        // group of their own and the offsets are kept under baton-ingest.<topic>.
        ownership = KafkaSourceOwnership(membership: try KafkaGroupMembership(
            kafka.configuration, group: data.topicPrefix + Ingestor.group(for: rules.source) + ".members",
            topic: data.topicPrefix + rules.source))
    } else if let sharing = log as? any PartitionSharing {
        ownership = try GroupOwnership(log: sharing, group: Ingestor.group(for: rules.source), topic: rules.source)
    } else {
        throw ValidationError("this log cannot share a topic's partitions among ingest processes")
    }
    return Ingestor(log: log, rules: rules, ownership: ownership, clock: WallClock.now)
}

/// The source partitions Kafka assigns to this member.
final class KafkaSourceOwnership: SourceOwnership, @unchecked Sendable {
    private let membership: KafkaGroupMembership
    private var held: Set<Int32> = []

    init(membership: KafkaGroupMembership) { self.membership = membership }

    func partitions(release: ([Int32]) throws -> Void) throws -> [Int32] {
        for change in membership.changes() {
            switch change {
            case .assigned(let partitions): held.formUnion(partitions)
            case .revoked(let partitions):
                try release(partitions)
                held.subtract(partitions)
            }
        }
        return held.sorted()
    }

    func leave() {}
}

/// An ingestor as a service: rounds on a thread of its own until graceful shutdown.
struct IngestService: Service {
    let ingestor: Ingestor
    var untilCaughtUp = false
    var eventsPerRead = 1_000

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await DedicatedThread.run { [ingestor, untilCaughtUp, eventsPerRead] in
                try ingestor.run(untilCaughtUp: untilCaughtUp, eventsPerRead: eventsPerRead) { statistics, lag in
                    print("ingest: \(statistics.events) events, \(statistics.commands) commands, \(statistics.deadLetters) dead letters, lag \(lag)")
                }
            }
        } onGracefulShutdown: {
            ingestor.stop()
        }
    }
}
