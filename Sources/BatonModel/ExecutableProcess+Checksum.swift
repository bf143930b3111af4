/// A fingerprint of the compiled graph: what instances of a definition depend on (element
/// indexes, flow indexes, kinds, scopes). Deployments carry it, so a replica whose compiler
/// numbers a file differently refuses to run it instead of replaying against another graph.
extension ExecutableProcess {
    /// FNV-1a (64 bit) over the process id, then every element in index order (id, kind,
    /// scope, incoming and outgoing flows, attached activity, message name) and every flow (id, source,
    /// target).
    public var graphChecksum: UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ bytes: some Sequence<UInt8>) {
            for byte in bytes {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01B3
            }
            hash ^= 0xFF
            hash = hash &* 0x0000_0100_0000_01B3
        }
        func mix(_ number: Int64) { withUnsafeBytes(of: number.littleEndian) { mix($0) } }
        mix(processId.utf8)
        mix(Int64(elements.count))
        for element in elements {
            mix(element.id.utf8)
            mix(Int64(element.kind.rawValue))
            mix(Int64(element.scope ?? -1))
            mix(Int64(element.attachedTo ?? -1))
            if let message = element.message { mix(message.name.utf8) }
            if let target = element.linkTarget { mix(Int64(target) - 1_000_000) }
            for flow in element.incoming { mix(Int64(flow)) }
            mix(-2)
            for flow in element.outgoing { mix(Int64(flow)) }
            mix(-3)
        }
        mix(Int64(flows.count))
        for flow in flows {
            mix(flow.id.utf8)
            mix(Int64(flow.source))
            mix(Int64(flow.target))
        }
        return hash
    }
}
