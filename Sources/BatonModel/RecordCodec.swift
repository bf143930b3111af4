/// The journal's binary layout for records and steps (format version 1).
///
/// Record: `format:u8 recordType:u8 intent:varint version:u8 partition:varint
/// position:zigzag sourcePosition:zigzag timestamp:zigzag key:string value
/// [rejectionReason:string]`. Step: `'S' format:u8 partition:varint
/// count positions... count records...`.
public enum RecordCodec {
    public static let formatVersion: UInt8 = 1
    /// The first byte of every step (commands start with their format version or `{`).
    public static let stepMagic: UInt8 = 0x53

    public static func encode(_ record: Record, into writer: inout BinaryWriter) {
        writer.byte(formatVersion)
        writer.byte(record.recordType.rawValue)
        writer.unsigned(UInt64(record.intent.rawValue))
        writer.byte(record.version)
        writer.signed(Int64(record.partition))
        writer.signed(record.position)
        writer.signed(record.sourcePosition)
        writer.signed(record.timestamp)
        writer.string(record.key)
        encode(record.value, into: &writer)
        if record.recordType == .rejection { writer.string(record.rejectionReason) }
    }

    public static func encode(_ record: Record) -> [UInt8] {
        var writer = BinaryWriter()
        encode(record, into: &writer)
        return writer.bytes
    }

    public static func decodeRecord(_ bytes: [UInt8]) throws(DecodingError) -> Record {
        var reader = BinaryReader(bytes)
        let record = try decode(from: &reader)
        guard reader.isAtEnd else { throw reader.failure("\(reader.remaining) unexpected bytes after the record") }
        return record
    }

    public static func decode(from reader: inout BinaryReader) throws(DecodingError) -> Record {
        let format = try reader.byte()
        guard format == formatVersion else { throw reader.failure("record format \(format) is not one this Baton reads (\(formatVersion))") }
        guard let recordType = RecordType(rawValue: try reader.byte()) else { throw reader.failure("unknown record type") }
        let code = try reader.unsigned()
        guard code <= UInt64(UInt16.max), let intent = Intent(rawValue: UInt16(code)) else {
            throw reader.failure("unknown intent code \(code)")
        }
        guard (recordType == .event) == !intent.isCommand else {
            throw reader.failure("record type \(recordType) does not match intent \(intent)")
        }
        let version = try reader.byte()
        guard version >= 1, version <= Record.currentVersion else {
            throw DecodingError(
                message: "record version \(version) is not one this Baton reads (it reads 1 to \(Record.currentVersion)): a newer Baton wrote it",
                offset: reader.offset, unknownRecordVersion: version)
        }
        let partition = try reader.int32()
        let position = try reader.signed()
        let sourcePosition = try reader.signed()
        let timestamp = try reader.signed()
        let key = try reader.string()
        let value = try decodeValue(intent.valueType, version: version, from: &reader)
        let reason = recordType == .rejection ? try reader.string() : ""
        return Record(
            recordType: recordType, intent: intent, version: version, partition: partition, position: position,
            sourcePosition: sourcePosition, timestamp: timestamp, key: key, value: value, rejectionReason: reason)
    }

    public static func encode(_ step: Step) -> [UInt8] {
        var writer = BinaryWriter(capacity: 64 * step.records.count + 16)
        writer.byte(stepMagic)
        writer.byte(formatVersion)
        writer.signed(Int64(step.partition))
        writer.unsigned(UInt64(step.commandPositions.count))
        for position in step.commandPositions { writer.signed(position) }
        writer.unsigned(UInt64(step.records.count))
        for record in step.records { encode(record, into: &writer) }
        return writer.bytes
    }

    public static func decodeStep(_ bytes: [UInt8]) throws(DecodingError) -> Step {
        var reader = BinaryReader(bytes)
        guard try reader.byte() == stepMagic else { throw reader.failure("not a step (bad magic byte)") }
        guard try reader.byte() == formatVersion else { throw reader.failure("step format is not one this Baton reads") }
        let partition = try reader.int32()
        let positionCount = try reader.count()
        var positions: [Int64] = []
        positions.reserveCapacity(positionCount)
        for _ in 0..<positionCount { positions.append(try reader.signed()) }
        let recordCount = try reader.count()
        var records: [Record] = []
        records.reserveCapacity(recordCount)
        for _ in 0..<recordCount { records.append(try decode(from: &reader)) }
        guard reader.isAtEnd else { throw reader.failure("\(reader.remaining) unexpected bytes after the step") }
        return Step(partition: partition, commandPositions: positions, records: records)
    }
}
