import CLZ4
import CLibXML2
import CRdKafka
import Testing

/// The Debian libraries Baton links against are found through pkg-config and work.
struct SystemLibraryTests {
    @Test func lz4RoundTrips() {
        let input = Array(String(repeating: "token moved; ", count: 200).utf8)
        var compressed = [CChar](repeating: 0, count: Int(LZ4_compressBound(Int32(input.count))))
        let compressedSize = input.withUnsafeBufferPointer { source in
            source.withMemoryRebound(to: CChar.self) {
                LZ4_compress_default($0.baseAddress, &compressed, Int32(input.count), Int32(compressed.count))
            }
        }
        #expect(compressedSize > 0 && Int(compressedSize) < input.count / 4)
        var output = [CChar](repeating: 0, count: input.count)
        let restored = LZ4_decompress_safe(compressed, &output, compressedSize, Int32(output.count))
        #expect(Int(restored) == input.count)
        #expect(output.map { UInt8(bitPattern: $0) } == input)
    }

    @Test func librdkafkaIsDebianTwoZero() {
        let version = String(cString: rd_kafka_version_str())
        #expect(version.hasPrefix("2."))
        // A producer handle can be created and destroyed without a broker.
        let configuration = rd_kafka_conf_new()
        var error = [CChar](repeating: 0, count: 256)
        #expect(rd_kafka_conf_set(configuration, "bootstrap.servers", "127.0.0.1:9", &error, error.count) == RD_KAFKA_CONF_OK)
        let handle = rd_kafka_new(RD_KAFKA_PRODUCER, configuration, &error, error.count)
        #expect(handle != nil)
        if let handle { rd_kafka_destroy(handle) }
    }

    @Test func libxml2Version() {
        #expect(LIBXML_VERSION >= 20900)
    }
}
