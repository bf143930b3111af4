internal import CRdKafka
import BatonLog

#if canImport(Glibc)
import Glibc
#endif

/// The delivery reports of one producer, filed by message id, for any number of threads
/// waiting on their own messages (the engine's round, the workers' answers, a load).
///
/// One waiter at a time takes reports off librdkafka's event queue; the others sleep on a
/// condition and are woken as soon as reports are filed, so a report another thread took
/// off the queue reaches its waiter at once. (When every waiter polled the queue itself,
/// a waiter whose report another had taken sat in its own poll until the next event or
/// its timeout: 14 ms per engine round on the test broker at 3,000 instances/s.)
final class DeliveryReports: @unchecked Sendable {
    private let queue: OpaquePointer
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let filed: UnsafeMutablePointer<pthread_cond_t>
    // Guarded by `mutex`.
    private var reports: [UInt64: Result<KafkaProducer.Delivery, LogError>] = [:]
    private var polling = false

    init(queue: OpaquePointer) {
        self.queue = queue
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        filed = .allocate(capacity: 1)
        filed.initialize(to: pthread_cond_t())
        pthread_cond_init(filed, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(filed)
        pthread_mutex_destroy(mutex)
        filed.deallocate()
        mutex.deallocate()
    }

    /// Waits for the reports of `ids`, in order; throws the first failure, or when
    /// `timeoutMilliseconds` pass first.
    func take(_ ids: Range<UInt64>, timeoutMilliseconds: Int) throws(LogError) -> [KafkaProducer.Delivery] {
        let deadline = MonotonicClock.milliseconds() + Int64(timeoutMilliseconds)
        var deliveries: [KafkaProducer.Delivery] = []
        deliveries.reserveCapacity(ids.count)
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        for id in ids {
            while true {
                if let report = reports.removeValue(forKey: id) {
                    switch report {
                    case .success(let delivery): deliveries.append(delivery)
                    case .failure(let error): throw error
                    }
                    break
                }
                guard MonotonicClock.milliseconds() < deadline else {
                    throw LogError("Kafka did not acknowledge a message within \(timeoutMilliseconds) ms")
                }
                serveLocked(milliseconds: 10)
            }
        }
        return deliveries
    }

    /// Takes the reports of `ids` if every one has come (taking what the event queue holds
    /// first, unless another thread is polling it); throws the first failure among them.
    /// Returns false, taking nothing, while any is missing. Never waits.
    func takeIfAllCame(_ ids: Range<UInt64>) throws(LogError) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if !ids.allSatisfy({ reports[$0] != nil }), !polling { pollLocked(milliseconds: 0, untilEmpty: true) }
        guard ids.allSatisfy({ reports[$0] != nil }) else { return false }
        var failure: LogError?
        for id in ids {
            if case .failure(let error) = reports.removeValue(forKey: id), failure == nil { failure = error }
        }
        if let failure { throw failure }
        return true
    }

    /// Lets librdkafka's queue be served for up to `milliseconds` (a producer whose queue is
    /// full waits so for room).
    func serve(milliseconds: Int32) {
        pthread_mutex_lock(mutex)
        serveLocked(milliseconds: milliseconds)
        pthread_mutex_unlock(mutex)
    }

    /// With `mutex` held: polls the event queue if no other thread does (releasing the
    /// mutex meanwhile), files what came and wakes every waiter; otherwise sleeps until the
    /// poller files something or `milliseconds` pass.
    private func serveLocked(milliseconds: Int32) {
        if polling {
            var until = timespec()
            clock_gettime(CLOCK_MONOTONIC, &until)
            let nanoseconds = Int(until.tv_nsec) + Int(milliseconds) * 1_000_000
            until.tv_sec += nanoseconds / 1_000_000_000
            until.tv_nsec = nanoseconds % 1_000_000_000
            pthread_cond_timedwait(filed, mutex, &until)
            return
        }
        pollLocked(milliseconds: milliseconds, untilEmpty: false)
    }

    /// With `mutex` held and no other thread polling: takes one event off the queue
    /// (waiting up to `milliseconds`), or with `untilEmpty` every event it holds, with the
    /// mutex released meanwhile; files the reports and wakes every waiter (those whose
    /// reports came, and one to poll next).
    private func pollLocked(milliseconds: Int32, untilEmpty: Bool) {
        polling = true
        pthread_mutex_unlock(mutex)
        var taken: [UInt64: Result<KafkaProducer.Delivery, LogError>] = [:]
        while let event = poll(milliseconds: milliseconds) {
            taken.merge(event) { $1 }
            if !untilEmpty { break }
        }
        pthread_mutex_lock(mutex)
        polling = false
        reports.merge(taken) { $1 }
        pthread_cond_broadcast(filed)
    }

    /// Takes one event off the queue: its delivery reports by message id (none for another
    /// kind of event); nil when no event came within `milliseconds`.
    private func poll(milliseconds: Int32) -> [UInt64: Result<KafkaProducer.Delivery, LogError>]? {
        guard let event = rd_kafka_queue_poll(queue, milliseconds) else { return nil }
        defer { rd_kafka_event_destroy(event) }
        guard rd_kafka_event_type(event) == RD_KAFKA_EVENT_DR else { return [:] }
        var taken: [UInt64: Result<KafkaProducer.Delivery, LogError>] = [:]
        while let message = rd_kafka_event_message_next(event) {
            let id = UInt64(UInt(bitPattern: message.pointee._private)) - 1
            if message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                taken[id] = .success(KafkaProducer.Delivery(partition: message.pointee.partition, offset: message.pointee.offset))
            } else {
                taken[id] = .failure(LogError("Kafka delivery failed: \(String(cString: rd_kafka_err2str(message.pointee.err)))"))
            }
        }
        return taken
    }
}
