import BatonEngine
import BatonLog
import BatonModel
import BatonRuntime
import BatonWorker
import Hummingbird

/// Camunda 7's REST API, the subset Baton serves under `/engine-rest` (docs/GATEWAY.md lists
/// it): external tasks, deployments, process definitions and instances, incidents.
struct EngineRest: Sendable {
    let gateway: Gateway
    static let root = "/engine-rest"

    func register(on router: Router<BasicRequestContext>) {
        let rest = router.group(RouterPath(Self.root))
        rest.get("engine") { _, _ in GatewayResponse.json(.array([.object(["name": .string("default")])])) }
        // The Camunda REST API level the subset follows.
        rest.get("version") { _, _ in GatewayResponse.json(.object(["version": .string("7.22.0")])) }
        registerExternalTasks(on: rest)
        registerProcesses(on: rest)
        registerMessages(on: rest)
        registerSignals(on: rest)
    }

    /// Camunda's date format (`2026-11-27T23:00:00.000+0000`), from ms since the epoch (UTC).
    static func date(_ milliseconds: Int64) -> String {
        let days = Int64((Double(milliseconds) / 86_400_000).rounded(.down))
        let rest = milliseconds - days * 86_400_000
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        func three(_ value: Int64) -> String { value < 10 ? "00\(value)" : value < 100 ? "0\(value)" : "\(value)" }
        return "\(year)-\(two(month))-\(two(day))T\(two(rest / 3_600_000)):\(two(rest / 60_000 % 60)):\(two(rest / 1000 % 60)).\(three(rest % 1000))+0000"
    }

    func submit(_ command: Record) async throws -> ReadModel.Verdict { try await gateway.submit(command).verdict }
}
