import BatonModel

/// One completed task's contribution to an instance.
public struct TaskResult: Sendable, Hashable {
    /// The BPMN id of the task element.
    public let taskId: String
    public let data: JSONValue
    public let startTime: Int64
    public let endTime: Int64

    public var json: JSONValue {
        .object([
            "taskId": .string(taskId), "data": data, "startTime": .number(Double(startTime)),
            "endTime": .number(Double(endTime)),
        ])
    }
}

public struct ProcessMetadata: Sendable, Hashable {
    public let processId: String
    public let processVersion: Int32
    public let processInstanceKey: Int64
    public let businessKey: String
    public let startTime: Int64
}

/// The DTO every task sees: the instance's identity and the append-only list of what each
/// completed task produced. After a parallel join it holds every branch's results.
public struct ProcessTaskResults: Sendable, Hashable {
    public let correlationId: String
    public let processMetadata: ProcessMetadata
    public let taskResults: [TaskResult]

    public var json: JSONValue {
        .object([
            "correlationId": .string(correlationId),
            "processMetadata": .object([
                "processId": .string(processMetadata.processId),
                "processVersion": .number(Double(processMetadata.processVersion)),
                "processInstanceKey": .string(String(processMetadata.processInstanceKey)),
                "businessKey": .string(processMetadata.businessKey),
                "startTime": .number(Double(processMetadata.startTime)),
            ]),
            "taskResults": .array(taskResults.map(\.json)),
        ])
    }
}
