import CoreMetrics
import Prometheus
import Synchronization

/// Baton's Prometheus registry: swift-metrics (timers, counters and gauges recorded where
/// things happen) goes into it, and `set`/`total` bring the figures computed from state up
/// to date before each scrape.
public final class ScrapeGauges: Sendable {
    public let registry: PrometheusCollectorRegistry
    /// Last totals seen, to turn running totals into counter increments.
    private let totals = Mutex<[String: Int64]>([:])

    /// Makes swift-metrics record into a new registry (once per process).
    public static func bootstrap() -> ScrapeGauges {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        let milliseconds: [Duration] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000].map { .milliseconds($0) }
        factory.defaultDurationHistogramBuckets = [.microseconds(100), .microseconds(250), .microseconds(500)] + milliseconds
        MetricsSystem.bootstrap(factory)
        return ScrapeGauges(registry: registry)
    }

    init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    /// A metric's name as given (Baton's names carry their unit already) and its help text.
    static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    /// A gauge's value now.
    public func set(_ name: String, _ labels: [(String, String)] = [], _ value: Double, help: String) {
        registry.makeGauge(descriptor: Self.descriptor(name, help), labels: labels).set(value)
    }

    /// A counter that follows a running total (increments by what the total grew).
    public func total(_ name: String, _ labels: [(String, String)] = [], _ value: Int64, help: String) {
        let key = name + labels.map { "|\($0.0)=\($0.1)" }.joined()
        let growth = totals.withLock { totals in
            let previous = totals[key] ?? 0
            totals[key] = max(previous, value)
            return max(0, value - previous)
        }
        let counter = registry.makeCounter(descriptor: Self.descriptor(name, help), labels: labels)
        if growth > 0 { counter.increment(by: growth) }
    }
}
