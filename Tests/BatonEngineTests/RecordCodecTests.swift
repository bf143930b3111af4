import BatonEngine
import BatonModel
import BatonTestSupport
import Testing

/// The journal codec: every record the engine writes survives a round trip; truncated or
/// garbage bytes give an error, never a crash.
struct RecordCodecTests {
    /// A journal with every kind of record the engine produces.
    func sampleJournal() throws -> [Record] {
        var given = try EngineHarness(TaskLifecycleTests.boundaryProcess, declarations: TaskLifecycleTests.declarations)
        given.start(["order": .object(["id": .string("o-1"), "items": .array([.number(1), .null, .bool(true)])])])
        given.fail("pay", retries: 0, message: "down")
        given.resolveIncident(retries: 2, variables: ["fixed": .bool(true)])
        given.taskCommand(.extendTaskLock, "pay", lockDuration: 1000)
        given.complete("pay", attempt: 1)
        given.complete("pay", data: .object(["receipt": .string("r-1")]), variables: ["paid": .number(-12.5)])
        return given.journal
    }

    @Test func everyRecordRoundTrips() throws {
        let journal = try sampleJournal()
        #expect(Set(journal.map(\.recordType)) == [.command, .event, .rejection])
        for record in journal {
            #expect(try RecordCodec.decodeRecord(RecordCodec.encode(record)) == record)
        }
    }

    @Test func aStepRoundTrips() throws {
        let journal = try sampleJournal()
        let step = Step(partition: 1, commandPositions: [1, 2, 3], records: journal.filter { $0.recordType != .command })
        #expect(try RecordCodec.decodeStep(RecordCodec.encode(step)) == step)
    }

    @Test func everyTruncationIsAnError() throws {
        let journal = try sampleJournal()
        let step = Step(partition: 1, commandPositions: [7], records: Array(journal.prefix(8)))
        let bytes = RecordCodec.encode(step)
        for length in 0..<bytes.count {
            #expect(throws: DecodingError.self) { try RecordCodec.decodeStep(Array(bytes.prefix(length))) }
        }
    }

    @Test func garbageNeverCrashes() throws {
        let journal = try sampleJournal()
        var generator = SplitMix64(seed: 42)
        var rejected = 0
        for record in journal {
            var bytes = RecordCodec.encode(record)
            for _ in 0..<50 {
                let index = Int(generator.next() % UInt64(bytes.count))
                bytes[index] = UInt8(truncatingIfNeeded: generator.next())
                if (try? RecordCodec.decodeRecord(bytes)) == nil { rejected += 1 }
            }
        }
        for _ in 0..<2000 {
            let bytes = (0..<Int(generator.next() % 64)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            _ = try? RecordCodec.decodeStep(bytes)
            _ = try? RecordCodec.decodeRecord(bytes)
        }
        #expect(rejected > 0)
    }

    @Test func hugeCountsAreRefusedWithoutAllocating() {
        var writer = BinaryWriter()
        writer.byte(0x53)
        writer.byte(1)
        writer.signed(0)
        writer.unsigned(UInt64.max >> 1)
        #expect { try RecordCodec.decodeStep(writer.bytes) } throws: { "\($0)".contains("exceeds") }
    }

    @Test func unknownIntentAndNewerVersionsAreNamed() throws {
        let record = try sampleJournal()[1]
        var bytes = RecordCodec.encode(record)
        bytes[0] = 9
        #expect { try RecordCodec.decodeRecord(bytes) } throws: { "\($0)".contains("format 9") }
        bytes = RecordCodec.encode(record)
        bytes[2] = 0x7F
        #expect { try RecordCodec.decodeRecord(bytes) } throws: { "\($0)".contains("unknown intent") }
    }

    @Test func intentCodesAreStable() {
        // Journals on disk hold these numbers: changing one breaks every existing log.
        #expect(Intent.createInstance.rawValue == 100 && Intent.instanceCompleted.rawValue == 111)
        #expect(Intent.elementActivated.rawValue == 210 && Intent.sequenceFlowTaken.rawValue == 213)
        #expect(Intent.completeTask.rawValue == 300 && Intent.taskCanceled.rawValue == 317)
        #expect(Intent.resolveIncident.rawValue == 400 && Intent.timerCanceled.rawValue == 512)
        #expect(Intent.variablesUpdated.rawValue == 610)
        #expect(Intent.publishMessage.rawValue == 800 && Intent.eventIngested.rawValue == 813 && Intent.correlateSubscription.rawValue == 806)
        #expect(Intent.openMessageSubscription.rawValue == 900 && Intent.remoteSubscriptionClosed.rawValue == 913)
        // An intent's hundred decides the value type the codec reads: every intent's value
        // type must be the one its records carry.
        #expect(Intent.openMessageSubscription.valueType == .messageSubscription && Intent.correlateSubscription.valueType == .message)
        #expect(Set(Intent.allCases.map(\.rawValue)).count == Intent.allCases.count)
    }
}
