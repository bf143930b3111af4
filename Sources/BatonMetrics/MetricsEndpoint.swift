import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus

/// Serves `GET /metrics` in the Prometheus text format on a port of its own. Before each
/// scrape, `refresh` brings the gauges computed from state up to date (lags, open
/// incidents); it runs on a thread pool, never on the event loop, because it may read the log.
public final class MetricsEndpoint: Sendable {
    public let registry: PrometheusCollectorRegistry
    let channel: any Channel
    /// The port it listens on (the one asked for, or the one the system chose for 0).
    public let port: Int

    /// Starts listening on `host`:`port`.
    public static func start(
        host: String, port: Int, registry: PrometheusCollectorRegistry, refresh: @escaping @Sendable () -> Void
    ) async throws -> MetricsEndpoint {
        let pool = NIOThreadPool.singleton
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(ScrapeHandler(registry: registry, refresh: refresh, pool: pool))
                }
            }
            .bind(host: host, port: port).get()
        return MetricsEndpoint(registry: registry, channel: channel, port: channel.localAddress?.port ?? port)
    }

    init(registry: PrometheusCollectorRegistry, channel: any Channel, port: Int) {
        self.registry = registry
        self.channel = channel
        self.port = port
    }

    public func stop() async throws {
        try await channel.close()
    }
}

/// Answers one request per message: `/metrics` with the registry's text, anything else 404.
final class ScrapeHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let registry: PrometheusCollectorRegistry
    let refresh: @Sendable () -> Void
    let pool: NIOThreadPool
    private let path = NIOLockedValueBox<String?>(nil)

    init(registry: PrometheusCollectorRegistry, refresh: @escaping @Sendable () -> Void, pool: NIOThreadPool) {
        self.registry = registry
        self.refresh = refresh
        self.pool = pool
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            path.withLockedValue { $0 = head.method == .GET ? String(head.uri.split(separator: "?").first ?? "") : nil }
        case .body:
            break  // bodies are not read (and not kept)
        case .end:
            let requested = path.withLockedValue { $0 }
            let loop = context.eventLoop
            let bound = NIOLoopBound(context, eventLoop: loop)
            guard requested == "/metrics" else {
                respond(bound.value, status: requested == nil ? .methodNotAllowed : .notFound,
                        body: Array("Baton serves GET /metrics here\n".utf8))
                return
            }
            let registry = registry
            let refresh = refresh
            pool.runIfActive(eventLoop: loop) { () -> [UInt8] in
                refresh()
                return registry.emitToBuffer()
            }.whenComplete { result in
                switch result {
                case .success(let text): self.respond(bound.value, status: .ok, body: text)
                case .failure(let error): self.respond(bound.value, status: .internalServerError, body: Array("\(error)\n".utf8))
                }
            }
        }
    }

    private func respond(_ context: ChannelHandlerContext, status: HTTPResponseStatus, body: [UInt8]) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: status == .ok ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: String(body.count))
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
