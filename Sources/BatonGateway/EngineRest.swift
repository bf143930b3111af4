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
    }

    // MARK: Request fields

    static func string(_ object: [String: JSONValue], _ field: String, required: Bool = false) throws(GatewayError) -> String? {
        guard let value = object[field], value != .null else {
            if required { throw .invalid("\(field) is required") }
            return nil
        }
        guard case .string(let text) = value else { throw .invalid("\(field) must be a string") }
        guard text.utf8.count <= 65_536 else { throw .invalid("\(field) is longer than 65536 bytes") }
        return text
    }

    static func integer(_ object: [String: JSONValue], _ field: String, required: Bool = false, minimum: Int64 = .min, maximum: Int64 = .max) throws(GatewayError) -> Int64? {
        guard let value = object[field], value != .null else {
            if required { throw .invalid("\(field) is required") }
            return nil
        }
        guard case .number(let number) = value, number == number.rounded(.towardZero), abs(number) < 9.007_199_254_740_992e15 else {
            throw .invalid("\(field) must be a whole number")
        }
        let integer = Int64(number)
        guard integer >= minimum, integer <= maximum else {
            throw .invalid(maximum == .max ? "\(field) must be at least \(minimum)" : "\(field) must be between \(minimum) and \(maximum)")
        }
        return integer
    }

    static func bool(_ object: [String: JSONValue], _ field: String) throws(GatewayError) -> Bool? {
        guard let value = object[field], value != .null else { return nil }
        guard case .bool(let flag) = value else { throw .invalid("\(field) must be true or false") }
        return flag
    }

    static func strings(_ object: [String: JSONValue], _ field: String) throws(GatewayError) -> [String]? {
        guard let value = object[field], value != .null else { return nil }
        guard case .array(let items) = value else { throw .invalid("\(field) must be an array of strings") }
        var strings: [String] = []
        for item in items {
            guard case .string(let text) = item else { throw .invalid("\(field) must be an array of strings") }
            strings.append(text)
        }
        return strings
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

    /// Appends one command on its correlationId's partition and waits for the engine's
    /// verdict: nil when it is accepted; 503 when the engine does not answer in time.
    func submit(_ command: Record) async throws -> ReadModel.Verdict {
        let log = gateway.log
        let (partition, position) = try await DedicatedThread.run { try CommandWriter(log: log).append(command) }
        guard let verdict = try await gateway.readModel.verdict(partition: partition, position: position, timeout: gateway.configuration.verdictTimeout) else {
            throw GatewayError(
                .serviceUnavailable, type: "ProcessEngineException",
                "the command is in the journal (partition \(partition), position \(position)) but no engine has answered it within \(gateway.configuration.verdictTimeout) ms; is an engine running?")
        }
        return verdict
    }
}
