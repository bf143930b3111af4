import BatonFileLog
import BatonLog
import BatonTestSupport
import Testing

/// A reader of the file log waiting for an append wakes at this process's appends, at
/// another process's (the folder watch; a second `FileLog` on the same folder stands for
/// the other process: it tells the first nothing in memory), and at once for an append that
/// came between its read and its wait.
@Suite
struct AppendWakeTests {
    static let topic = "baton.task.wake"

    static func openTwice(_ directory: TemporaryDirectory) throws -> (FileLog, FileLog) {
        let first = try FileLog(directory: directory.path, partitionsByPrefix: ["baton.task.": 3])
        let second = try FileLog(directory: directory.path, partitionsByPrefix: ["baton.task.": 3])
        return (first, second)
    }

    /// Seconds a wait took.
    static func timed(_ wait: () async -> Void) async -> Double {
        let start = ContinuousClock.now
        await wait()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    @Test func anotherProcesssAppendWakesAWaitingReader() async throws {
        let directory = TemporaryDirectory("baton-wake")
        defer { directory.remove() }
        let (reader, writer) = try Self.openTwice(directory)
        #expect(!reader.hearsEveryAppend(to: Self.topic), "heard before anything was watched")
        let mark = reader.appendMark(of: Self.topic)
        #expect(reader.hearsEveryAppend(to: Self.topic))
        let appending = Task {
            try await Task.sleep(for: .milliseconds(200))
            try writer.append([[1, 2, 3]], to: TopicPartition(Self.topic, 2))
        }
        // Only the watch can move the reader's mark: nothing reads the partition here. (Not
        // timed: tests that block the cooperative threads can hold any wait up.)
        let seconds = await Self.timed { await reader.waitForAppend(since: [Self.topic: mark], milliseconds: 60_000) }
        try await appending.value
        #expect(reader.appendMark(of: Self.topic) != mark, "the other log's append was not heard (the wait ended after \(seconds) s)")
        #expect(try reader.read(TopicPartition(Self.topic, 2), from: 0, limit: 10).map(\.payload) == [[1, 2, 3]])
    }

    @Test func anAppendBetweenTheReadAndTheWaitEndsTheWaitAtOnce() async throws {
        let directory = TemporaryDirectory("baton-wake")
        defer { directory.remove() }
        let (reader, writer) = try Self.openTwice(directory)
        for (appender, name) in [(reader, "this process"), (writer, "another process")] {
            let mark = reader.appendMark(of: Self.topic)
            try appender.append([[7]], to: TopicPartition(Self.topic, 0))
            // Another process's append is heard once the watch or a read finds it.
            _ = try reader.endPosition(of: TopicPartition(Self.topic, 0))
            // Ten minutes: a wait that misses the append fails the test after its timeout.
            let seconds = await Self.timed { await reader.waitForAppend(since: [Self.topic: mark], milliseconds: 600_000) }
            #expect(seconds < 590, "an append by \(name) before the wait was missed: it waited \(seconds) s")
        }
    }

    @Test func aWaitForSeveralTopicsEndsAtAnAppendToAnyOfThem() async throws {
        let directory = TemporaryDirectory("baton-wake")
        defer { directory.remove() }
        let (reader, writer) = try Self.openTwice(directory)
        let second = "baton.task.second"
        let marks = [Self.topic: reader.appendMark(of: Self.topic), second: reader.appendMark(of: second)]
        let appending = Task {
            try await Task.sleep(for: .milliseconds(200))
            try writer.append([[4]], to: TopicPartition(second, 1))
        }
        let seconds = await Self.timed { await reader.waitForAppend(since: marks, milliseconds: 60_000) }
        try await appending.value
        #expect(reader.appendMark(of: second) != marks[second], "the append to the second topic was not heard (the wait ended after \(seconds) s)")
        #expect(reader.appendMark(of: Self.topic) == marks[Self.topic])
    }

    @Test func aReaderWithNothingNewWaitsItsTimeout() async throws {
        let directory = TemporaryDirectory("baton-wake")
        defer { directory.remove() }
        let (reader, writer) = try Self.openTwice(directory)
        let mark = reader.appendMark(of: Self.topic)
        try writer.append([[9]], to: TopicPartition("baton.task.other", 0))
        let seconds = await Self.timed { await reader.waitForAppend(since: [Self.topic: mark], milliseconds: 300) }
        #expect(seconds >= 0.29, "woken after \(seconds) s by an append to another topic")
    }
}
