import BatonModel

/// Bounds on what commands bring (DESIGN.md §3: bounded sizes), measured as about the JSON
/// text a producer sends (`JSONValue.sizeEstimate`). Part of `EngineConfiguration`, so every
/// replica decides the same way.
enum SizeLimits {
    /// The size of a set of variables: every name and value, as in a JSON object.
    /// Why the variables a message or signal (`kind`) brings are too many bytes (more than
    /// one task answer may bring), or nil.
    static func broughtTooMuch(_ variables: [String: JSONValue], by kind: String, _ writer: StepWriter) -> String? {
        guard !variables.isEmpty else { return nil }
        let size = bytes(of: variables)
        let limit = writer.configuration.maximumTaskResultBytes
        return size > limit ? "the \(kind)'s variables take \(size) bytes, more than the \(limit) a \(kind) may bring" : nil
    }

    static func bytes(of variables: [String: JSONValue]) -> Int {
        variables.reduce(2) { $0 + $1.key.utf8.count + 4 + $1.value.sizeEstimate }
    }

    /// Rejects the command (and returns false) when the answer to a task brings more than
    /// `maximumTaskResultBytes`: data, variables and error texts together.
    static func taskAnswerFits(_ value: TaskRecord, _ writer: inout StepWriter) -> Bool {
        let size = value.data.sizeEstimate + (value.variables.isEmpty ? 0 : bytes(of: value.variables))
            + value.errorMessage.utf8.count + value.errorDetails.utf8.count
        guard size <= writer.configuration.maximumTaskResultBytes else {
            writer.reject("the answer to task \(value.taskKey) brings \(size) bytes (data, variables and error texts), more than the \(writer.configuration.maximumTaskResultBytes) one task result may have")
            return false
        }
        return true
    }

    /// Rejects the command (and returns false) when merging `variables` into the instance's
    /// variables (none yet for a new instance) would make them larger than
    /// `maximumVariablesBytes`.
    static func variablesFit(_ variables: [String: JSONValue], into instanceKey: Int64?, _ writer: inout StepWriter) -> Bool {
        guard !variables.isEmpty else { return true }
        var size = bytes(of: variables)
        if let instanceKey {
            size += writer.withInstance(instanceKey) { instance in
                instance.variables.reduce(0) { total, variable in
                    variables[variable.key] == nil ? total + variable.key.utf8.count + 4 + variable.value.sizeEstimate : total
                }
            }
        }
        guard size <= writer.configuration.maximumVariablesBytes else {
            let whose = instanceKey.map { "instance \($0)'s variables" } ?? "the new instance's variables"
            writer.reject("\(whose) would take \(size) bytes, more than the \(writer.configuration.maximumVariablesBytes) an instance's variables may have")
            return false
        }
        return true
    }
}
