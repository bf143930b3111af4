import BatonModel
import BatonWorker
import Synchronization

/// The demo's stand-ins for the order services. The payment service fails for some
/// orders: about 5% fail once and succeed on retry, about 1% keep failing until their
/// retries are exhausted (incidents) — until `healthy` is set.
final class DemoWorkers: Sendable {
    let healthy: Mutex<Bool>
    let taskDelayMilliseconds: UInt64

    /// - Parameters:
    ///   - paymentFailures: whether the payment service misbehaves at first.
    ///   - taskDelayMilliseconds: how long each task takes.
    init(paymentFailures: Bool = true, taskDelayMilliseconds: UInt64 = 0) {
        healthy = Mutex(!paymentFailures)
        self.taskDelayMilliseconds = taskDelayMilliseconds
    }

    static let topics = ["validate-order", "reserve-inventory", "ship-order", "notify-customer", "cancel-order", "manual-approval"]

    /// Which orders the payment service treats badly, decided by the order number so that
    /// a run is repeatable: 1 in 100 always fails, 5 in 100 fail on their first attempt.
    static func paymentTrouble(_ correlationId: String) -> (always: Bool, once: Bool) {
        let number = Int(correlationId.split(separator: "-").last ?? "") ?? 0
        return (number % 100 == 37, number % 20 == 3)
    }

    func subscribe(_ worker: Worker) {
        for topic in Self.topics {
            worker.subscribe(topic: topic, maxConcurrent: 64) { [taskDelayMilliseconds] task in
                if taskDelayMilliseconds > 0 { try await Task.sleep(nanoseconds: taskDelayMilliseconds * 1_000_000) }
                return .complete(data: .object(["service": .string(topic), "ok": .bool(true)]))
            }
        }
        worker.subscribe(topic: "charge-payment", maxConcurrent: 64) { [self] task in
            if taskDelayMilliseconds > 0 { try await Task.sleep(nanoseconds: taskDelayMilliseconds * 1_000_000) }
            let trouble = Self.paymentTrouble(task.correlationId)
            let firstAttempt = task.message.attempt == 1
            if !self.healthy.withLock({ $0 }) && (trouble.always || (trouble.once && firstAttempt)) {
                return .failure(
                    message: "payment service unavailable", details: "HTTP 503 from payments",
                    retries: trouble.always ? max(0, task.retries - 1) : task.retries - 1, retryTimeout: 200)
            }
            let total = task.variables["order"]?["total"] ?? .number(0)
            return .complete(data: .object(["charged": total, "attempt": .number(Double(task.message.attempt))]))
        }
    }
}
