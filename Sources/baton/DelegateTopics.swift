import ArgumentParser
import BatonModel

/// `--delegate-topic IMPLEMENTATION=TOPIC` (repeatable): a Camunda 7 model's Java-implemented
/// service tasks run as external tasks of a topic, so the model deploys unchanged and a
/// worker in any language does the work.
struct DelegateTopics: ParsableArguments {
    @Option(
        name: .customLong("delegate-topic"),
        help: ArgumentHelp(
            "Run Camunda 7 service tasks implemented in Java as external tasks: the camunda:class, camunda:delegateExpression or camunda:expression value as written, '=', and the topic (repeatable).",
            valueName: "implementation=topic"))
    var mappings: [String] = []

    /// Implementation (as written in the model) to topic.
    func topics() throws -> [String: String] {
        var topics: [String: String] = [:]
        for mapping in mappings {
            // The implementation may hold '=' (an expression); a topic never does.
            guard let split = mapping.lastIndex(of: "="), split != mapping.startIndex else {
                throw ValidationError("--delegate-topic '\(mapping)' needs IMPLEMENTATION=TOPIC, e.g. com.acme.ChargeCard=charge-card")
            }
            let implementation = String(mapping[..<split])
            let topic = String(mapping[mapping.index(after: split)...])
            if let problem = TaskDefinition.topicProblem(.string(topic)) {
                throw ValidationError("--delegate-topic '\(mapping)': the topic \(problem)")
            }
            if let earlier = topics[implementation], earlier != topic {
                throw ValidationError("--delegate-topic maps '\(implementation)' twice: to '\(earlier)' and to '\(topic)'")
            }
            topics[implementation] = topic
        }
        return topics
    }
}
