import BatonLog

/// How the engine loops run the exporter: a batch per partition every
/// `exportEveryMilliseconds` (written on the exporter's own thread); everything is exported
/// and committed before a loop stops or gives a partition up. A failure is
/// reported once and never stops the engine: the journal holds everything, and the
/// exporter resumes from its committed position.
struct EventExportSchedule {
    let exporter: EventExporter?
    let interval: Int64
    let warn: @Sendable (String) -> Void
    private var last: Int64 = 0
    private var failing = false

    init(log: any Log, options: RuntimeOptions, warn: @escaping @Sendable (String) -> Void) {
        self.interval = options.exportEveryMilliseconds
        self.warn = warn
        guard options.exportEvents else {
            exporter = nil
            return
        }
        let exporter = EventExporter(log: log)
        do {
            try exporter.checkPartitions()
            self.exporter = exporter
        } catch {
            warn("events are not exported: \(error)")
            self.exporter = nil
        }
    }

    /// Hands a batch of each partition to the exporter when the export interval has passed.
    mutating func tick(_ processors: some Sequence<PartitionProcessor>, now: Int64) {
        guard let exporter else { return }
        guard now - last >= interval else { return }
        last = now
        for processor in processors {
            processor.keepReadSteps()
            run { try exporter.export(processor) }
        }
    }

    /// Exports and commits what is left (before the loop stops or gives a partition up).
    mutating func drain(_ processors: some Sequence<PartitionProcessor>, log: any Log) {
        guard let exporter else { return }
        for processor in processors {
            var exported = 1
            while exported > 0 { exported = run { try exporter.export(processor) } }
        }
        run {
            try exporter.finish()
            return 0
        }
    }

    func forget(_ partition: Int32) { exporter?.forget(partition) }

    @discardableResult
    private mutating func run(_ export: () throws -> Int) -> Int {
        do {
            let exported = try export()
            if failing { warn("exporting events works again") }
            failing = false
            return exported
        } catch {
            if !failing { warn("exporting events failed (the engine goes on; the export resumes from its committed position): \(error)") }
            failing = true
            return 0
        }
    }
}
