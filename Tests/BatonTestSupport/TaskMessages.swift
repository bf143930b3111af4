import BatonModel

extension TaskMessage {
    /// Task message number `index` of `topic` (task key, instance and correlationId `c-index`),
    /// on journal partition 0 and locked far into the future: what a transport test feeds a
    /// task topic.
    public static func numbered(_ index: Int, topic: String) -> TaskMessage {
        TaskMessage(
            taskKey: Int64(index), attempt: 1, topicName: topic, activityId: "Work", activityInstanceId: "\(index)",
            processInstanceId: "\(index)", processDefinitionKey: "p:1", processDefinitionId: "p", businessKey: "",
            correlationId: "c-\(index)", variables: [:], retries: 3, priority: 0, lockExpirationTime: 4_000_000_000_000, partition: 0,
            processTaskResults: .null)
    }
}
