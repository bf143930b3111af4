import BatonModel

/// Who may call the gateway: HTTP Basic users and bearer tokens (both Camunda clients send
/// Basic; the Camunda 8 SDKs also send bearer tokens). Empty: every request is admitted.
public struct Credentials: Sendable {
    /// "user:password" pairs.
    public var basic: Set<String> = []
    public var bearerTokens: Set<String> = []

    public init(basic: Set<String> = [], bearerTokens: Set<String> = []) {
        self.basic = basic
        self.bearerTokens = bearerTokens
    }

    public var isEmpty: Bool { basic.isEmpty && bearerTokens.isEmpty }

    /// Reads a credentials file: one `basic USER:PASSWORD` or `bearer TOKEN` per line, `#`
    /// starts a comment. Errors name the file and line.
    public static func parse(_ text: String, file: String) throws(CredentialsError) -> Credentials {
        var credentials = Credentials()
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: " \t\r")
            if line.isEmpty || line.hasPrefix("#") { continue }
            let words = line.split(separator: " ", maxSplits: 1).map { String($0) }
            guard words.count == 2, !words[1].isEmpty else {
                throw CredentialsError("\(file):\(index + 1): expected 'basic USER:PASSWORD' or 'bearer TOKEN'")
            }
            switch words[0].lowercased() {
            case "basic":
                guard let colon = words[1].firstIndex(of: ":"), colon != words[1].startIndex else {
                    throw CredentialsError("\(file):\(index + 1): a basic credential is USER:PASSWORD")
                }
                credentials.basic.insert(words[1])
            case "bearer":
                credentials.bearerTokens.insert(words[1])
            default:
                throw CredentialsError("\(file):\(index + 1): '\(words[0])' is neither 'basic' nor 'bearer'")
            }
        }
        return credentials
    }

    /// Whether an Authorization header value is admitted.
    func admits(_ authorization: String?) -> Bool {
        if isEmpty { return true }
        guard let authorization, authorization.utf8.count <= 8192 else { return false }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { return false }
        let scheme = parts[0].lowercased()
        let value = String(parts[1]).trimmingCharacters(in: " ")
        if scheme == "basic", let decoded = Base64.decode(value), let pair = String(validating: decoded, as: UTF8.self) {
            return basic.contains { Self.equal($0, pair) }
        }
        if scheme == "bearer" {
            return bearerTokens.contains { Self.equal($0, value) }
        }
        return false
    }

    /// Compares without stopping at the first difference.
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for index in 0..<min(x.count, y.count) { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}

public struct CredentialsError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension String {
    func trimmingCharacters(in characters: String) -> String {
        Substring(self).trimmingCharacters(in: characters)
    }
}
