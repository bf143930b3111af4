import ArgumentParser
import BatonLog
import BatonMetrics
import BatonRuntime
import BatonWorker

/// `--metrics-port`: Prometheus metrics of this process on GET /metrics (README lists them).
struct MetricsOptions: ParsableArguments {
    @Option(help: "Serve Prometheus metrics on GET /metrics at this port (0: any free port, printed).")
    var metricsPort: Int?

    @Option(help: "The address the metrics endpoint listens on.")
    var metricsHost = "0.0.0.0"

    /// Bootstraps swift-metrics into Prometheus (before anything records) when asked for.
    func bootstrap() -> ScrapeGauges? {
        metricsPort == nil ? nil : ScrapeGauges.bootstrap()
    }

    /// Starts the endpoint; each scrape refreshes engine figures, worker figures and the lag
    /// of `lagTopics` (nil: every task topic on the log).
    func start(
        _ gauges: ScrapeGauges?, log: any Log, engine: (@Sendable () -> EngineLoop.Statistics)? = nil,
        worker: Worker? = nil, lagTopics: [String]? = nil
    ) async throws -> MetricsEndpoint? {
        guard let gauges, let metricsPort else { return nil }
        let endpoint = try await MetricsEndpoint.start(host: metricsHost, port: metricsPort, registry: gauges.registry) {
            if let engine { Self.refresh(gauges, engine()) }
            if let worker {
                let inFlight = worker.tasksInFlight
                for topic in worker.topics {
                    gauges.set("baton_tasks_in_flight", [("topic", topic)], Double(inFlight[topic] ?? 0), help: "Tasks this worker is handling now")
                }
            }
            if let lags = try? TaskTopicLag.measure(log, topics: lagTopics) {
                for total in TaskTopicLag.totals(lags) {
                    gauges.set("baton_task_topic_lag", [("topic", total.topic), ("group", total.group)], Double(total.lag),
                               help: "Tasks published to a task topic and not yet answered and committed by its workers' consumer group")
                }
            }
        }
        print("metrics: http://\(metricsHost):\(endpoint.port)/metrics")
        fflush(nil)  // every output stream: the address must be readable at once
        return endpoint
    }

    static func refresh(_ gauges: ScrapeGauges, _ statistics: EngineLoop.Statistics) {
        gauges.set("baton_instances_active", [], Double(statistics.activeInstances), help: "Process instances active on this engine's partitions")
        gauges.set("baton_incidents_open", [], Double(statistics.openIncidents), help: "Open incidents on this engine's partitions")
        gauges.total("baton_instances_started_total", [], Int64(statistics.instancesCreated), help: "Process instances this engine created")
        gauges.total("baton_instances_completed_total", [], Int64(statistics.instancesCompleted), help: "Process instances this engine completed")
        gauges.total("baton_steps_total", [], Int64(statistics.steps), help: "Journal steps this engine appended")
        gauges.total("baton_records_total", [], Int64(statistics.records), help: "Records in the steps this engine appended")
        for (partition, lag) in statistics.journalLag {
            gauges.set("baton_journal_lag", [("partition", String(partition))], Double(lag), help: "Journal entries appended and not yet processed")
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
