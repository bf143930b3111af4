import BatonFileLog
import BatonLog
import BatonTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Members of a consumer group on the file log divide a topic's partitions: each holds at
/// most its fair share, no partition is held twice, and the partitions of a member that
/// leaves (or dies: the kernel drops its locks) go to the others.
struct GroupSharingTests {
    /// Asks every member until the shares settle (each member rebalances every 200 ms).
    static func settle(_ members: [any GroupMember]) throws -> [[Int32]] {
        for _ in 0..<6 {
            for member in members { _ = try member.partitions() }
            usleep(220_000)
        }
        return try members.map { try $0.partitions() }
    }

    @Test func membersDivideThePartitionsAndTakeOverFromOneThatLeaves() throws {
        let directory = TemporaryDirectory("baton-group")
        defer { directory.remove() }
        let log = try FileLog(directory: directory.path, topics: ["work": 12])
        let first = try log.join(group: "g", topic: "work")
        #expect(try first.partitions() == Array(0..<12))
        let second = try log.join(group: "g", topic: "work")
        let third = try log.join(group: "g", topic: "work")
        var held = try Self.settle([first, second, third])
        #expect(held.map(\.count) == [4, 4, 4], "\(held)")
        #expect(Set(held.flatMap { $0 }).count == 12)
        second.leave()
        held = try Self.settle([first, third])
        #expect(held.map(\.count) == [6, 6], "\(held)")
        #expect(Set(held.flatMap { $0 }) == Set(0..<12))
    }
}
