import ArgumentParser
import BatonIngest
import BatonLog
import BatonModel
import BatonRuntime
import BatonStorage
import BatonWorker

/// `baton demo --events`: the orders arrive as events on the `orders` topic and `baton
/// ingest`'s rules (bpmn/order-events.yaml) turn them into instances of
/// bpmn/order-events.bpmn; each order's payment confirmation is another event, which
/// arrives as the message the instance waits for.
extension Demo {
    func runEventDriven() async throws {
        POSIX.removeTree(path)
        let data = try DataDirectory.parse(["--data-dir", path, "--partitions", String(partitions)])
        let log = try data.openLog()
        _ = try DeploymentCatalog.deploy(try POSIX.readFile(eventsBpmn), fileName: eventsBpmn, to: log)
        let ingestor = try makeIngestor(rulesFile: eventsRules, log: log, data: data)
        print("deployed \(eventsBpmn); streaming \(orders) orders as events (OrderPlaced, then PaymentConfirmed) into the topic '\(ingestor.rules.source)', ingested by the rules of \(eventsRules)")

        let loop = EngineLoop(log: log, snapshots: data.snapshots(log), clock: WallClock.now, warn: { print("warning: \($0)") })
        let engine = Task { try await DedicatedThread.run { try loop.runBlocking() } }
        let worker = Worker(transport: LogTaskTransport(log: log), workerId: "demo-worker")
        DemoWorkers(paymentFailures: false).subscribe(worker)
        let workers = Task { try await worker.run() }
        let ingest = Task { try await DedicatedThread.run { try ingestor.run() } }

        let started = WallClock.now()
        let malformed = try streamOrderEvents(into: log, topic: ingestor.rules.source)
        try await waitUntil(loop, "orders created and completed") { $0.instancesCreated >= orders && $0.activeInstances == 0 }
        let seconds = Double(WallClock.now() - started) / 1000
        let statistics = ingestor.statistics
        let timeline = try Timeline.read(log)
        var letters: [DeadLetter] = []
        while true {
            let entries = try log.read(TopicPartition(Topics.deadLetter, 0), from: Int64(letters.count), limit: 10_000)
            guard !entries.isEmpty else { break }
            letters += entries.compactMap { entry in (try? JSONValue.parse(entry.payload)).flatMap { try? DeadLetter(json: $0) } }
        }
        print("\nsummary")
        print("  events ingested:       \(statistics.events) while the demo ran \(Int(seconds * 10) / 10) s (ingest's own rate: make bench-ingest)")
        print("  orders completed:      \(timeline.completed.count) of \(orders), each payment confirmed by a message")
        print("  messages correlated:   \(timeline.messagesCorrelated), \(timeline.messagesBuffered) of them waited for their instance (published before it subscribed)")
        print("  dead letters:          \(letters.count) (\(malformed) malformed events streamed on purpose)")
        for (reason, count) in Dictionary(grouping: letters, by: { $0.reason }).mapValues(\.count).sorted(by: { $0.key < $1.key }) {
            print("    \(count) x \(reason.prefix(110))")
        }
        let example = "order-3"
        print("\nbaton replay --instance \(example)")
        var catalog = DeploymentCatalog()
        try catalog.refresh(from: log)
        try InstanceHistory.collect(example, log: log, catalog: catalog).lines(catalog: catalog).forEach { print("  \($0)") }
        let duplicates = timeline.completedTwice
        print("\nfrom the journal: \(timeline.completed.count) of \(orders) orders completed, \(duplicates) completed twice, \(timeline.createdTwice) started twice")
        guard timeline.completed.count == orders, duplicates == 0, timeline.createdTwice == 0, letters.count == malformed else {
            throw ValidationError("the event-driven demo did not complete every order exactly once, or dead-lettered other events than the malformed ones")
        }
        print("every order started and completed exactly once")
        ingestor.stop()
        worker.shutdown()
        loop.stop()
        try await ingest.value
        try await workers.value
        try await engine.value
    }

    /// Appends the events in batches, as a producer would: each order's OrderPlaced, and its
    /// PaymentConfirmed a little later in the stream (some before the instance waits for
    /// it); every 500th order also brings a malformed event. Returns the malformed count.
    private func streamOrderEvents(into log: any Log, topic: String) throws -> Int {
        let partitions = try log.partitionCount(of: topic)
        var pending: [(key: String, line: String)] = []
        var malformed = 0
        func flush() throws {
            var byPartition: [Int32: (entries: [[UInt8]], keys: [String])] = [:]
            for (key, line) in pending {
                let partition = key.isEmpty ? 0 : Murmur2.partition(forKey: key, partitions: partitions)
                byPartition[partition, default: ([], [])].entries.append(Array(line.utf8))
                byPartition[partition, default: ([], [])].keys.append(key)
            }
            for (partition, batch) in byPartition.sorted(by: { $0.key < $1.key }) {
                _ = try log.append(batch.entries, keys: batch.keys, to: TopicPartition(topic, partition))
            }
            pending = []
        }
        let lag = 40
        for index in 0..<(orders + lag) {
            if index < orders {
                let orderId = "order-\(index)"
                let total = (index * 37) % 2000
                pending.append((orderId, #"{"type":"OrderPlaced","orderId":"\#(orderId)","order":{"id":"\#(orderId)","total":\#(total),"items":\#(1 + index % 4)}}"#))
                if index % 500 == 250 {
                    pending.append(("", #"{"type":"OrderPlaced","order":{"total":1}}"#))
                    malformed += 1
                }
            }
            if index >= lag {
                let orderId = "order-\(index - lag)"
                pending.append((orderId, #"{"type":"PaymentConfirmed","orderId":"\#(orderId)","payment":{"provider":"demo-pay","amount":\#(((index - lag) * 37) % 2000)}}"#))
            }
            if pending.count >= 1_000 { try flush() }
        }
        try flush()
        return malformed
    }
}
