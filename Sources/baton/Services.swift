import BatonLog
import BatonRuntime
import BatonWorker
import ServiceLifecycle

/// The engine loop as a service: it runs on a thread of its own and stops after the step
/// in flight (with a snapshot) on graceful shutdown.
struct EngineService: Service {
    let loop: EngineLoop

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await DedicatedThread.run { [loop] in try loop.runBlocking() }
        } onGracefulShutdown: {
            loop.stop()
        }
    }
}

/// A worker as a service: on graceful shutdown it stops fetching and answers what it holds.
struct WorkerService: Service {
    let worker: Worker

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await worker.run()
        } onGracefulShutdown: {
            worker.shutdown()
        }
    }
}
