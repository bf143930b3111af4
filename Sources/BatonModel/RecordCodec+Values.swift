extension RecordCodec {
    static func encode(_ value: RecordValue, into writer: inout BinaryWriter) {
        switch value {
        case .instance(let value):
            writer.signed(value.instanceKey)
            writer.string(value.processId)
            writer.signed(Int64(value.processVersion))
            writer.string(value.businessKey)
            writer.variables(value.variables)
            writer.signed(value.deploymentPosition)
            writer.byte(value.allowDuplicate ? 1 : 0)
            writer.signed(value.parentInstanceKey)
            writer.signed(value.parentElementInstanceKey)
        case .element(let value):
            writer.signed(value.instanceKey)
            writer.signed(value.elementInstanceKey)
            writer.signed(Int64(value.elementIndex))
            writer.signed(value.flowScopeKey)
            writer.signed(Int64(value.flowIndex))
        case .task(let value):
            writer.signed(value.instanceKey)
            writer.signed(value.taskKey)
            writer.signed(value.elementInstanceKey)
            writer.signed(Int64(value.elementIndex))
            writer.string(value.topic)
            writer.signed(Int64(value.attempt))
            writer.signed(Int64(value.retries))
            writer.signed(Int64(value.priority))
            writer.signed(value.lockExpiresAt)
            writer.signed(value.retryAt)
            writer.signed(value.retryTimeout)
            writer.signed(value.lockDuration)
            writer.string(value.errorCode)
            writer.string(value.errorMessage)
            writer.string(value.errorDetails)
            writer.json(value.data)
            writer.variables(value.variables)
            writer.signed(value.startTime)
            writer.signed(value.endTime)
            writer.string(value.workerId)
        case .incident(let value):
            writer.signed(value.instanceKey)
            writer.signed(value.incidentKey)
            writer.signed(value.elementInstanceKey)
            writer.signed(Int64(value.elementIndex))
            writer.signed(value.taskKey)
            writer.byte(value.kind.rawValue)
            writer.string(value.message)
            writer.signed(Int64(value.retries))
            writer.variables(value.variables)
        case .timer(let value):
            writer.signed(value.instanceKey)
            writer.signed(value.timerKey)
            writer.signed(value.elementInstanceKey)
            writer.signed(Int64(value.elementIndex))
            writer.signed(value.dueAt)
            writer.signed(Int64(value.repetitions))
        case .variables(let value):
            writer.signed(value.instanceKey)
            writer.variables(value.variables)
            writer.signed(value.scopeKey)
        case .entry(let value):
            writer.string(value.reason)
            writer.signed(value.size)
        case .message(let value):
            writer.signed(value.messageKey)
            writer.string(value.name)
            writer.variables(value.variables)
            writer.signed(value.timeToLive)
            writer.signed(value.expiresAt)
            writer.string(value.messageId)
            writer.signed(value.instanceKey)
            writer.signed(value.elementInstanceKey)
            writer.signed(Int64(value.elementIndex))
            writer.string(value.startProcessId)
            writer.signed(Int64(value.processVersion))
            writer.signed(value.deploymentPosition)
            writer.string(value.businessKey)
            writer.string(value.sourceTopic)
            writer.signed(Int64(value.sourcePartition))
            writer.signed(value.sourceOffset)
        case .subscription(let value):
            writer.signed(value.instanceKey)
            writer.signed(value.subscriptionKey)
            writer.signed(value.elementInstanceKey)
            writer.signed(Int64(value.elementIndex))
            writer.string(value.messageName)
            writer.string(value.correlationKey)
            writer.string(value.correlationId)
            writer.signed(Int64(value.instancePartition))
            writer.byte(value.interrupting ? 1 : 0)
            writer.signed(Int64(value.sourcePartition))
            writer.signed(value.sourceOffset)
        }
    }

    /// Reads a value in the layout of record `version` (see `Record.version`).
    static func decodeValue(_ type: ValueType, version: UInt8, from reader: inout BinaryReader) throws(DecodingError) -> RecordValue {
        switch type {
        case .processInstance:
            var value = InstanceRecord(
                instanceKey: try reader.signed(), processId: try reader.string(), processVersion: try reader.int32(),
                businessKey: try reader.string(), variables: try reader.variables())
            if version >= 2 {
                value.deploymentPosition = try reader.signed()
                value.allowDuplicate = try reader.byte() != 0
            }
            if version >= 3 {
                value.parentInstanceKey = try reader.signed()
                value.parentElementInstanceKey = try reader.signed()
            }
            return .instance(value)
        case .element:
            return .element(
                ElementRecord(
                    instanceKey: try reader.signed(), elementInstanceKey: try reader.signed(), elementIndex: try reader.int32(),
                    flowScopeKey: try reader.signed(), flowIndex: try reader.int32()))
        case .task:
            var value = TaskRecord()
            value.instanceKey = try reader.signed()
            value.taskKey = try reader.signed()
            value.elementInstanceKey = try reader.signed()
            value.elementIndex = try reader.int32()
            value.topic = try reader.string()
            value.attempt = try reader.int32()
            value.retries = try reader.int32()
            value.priority = try reader.int32()
            value.lockExpiresAt = try reader.signed()
            value.retryAt = try reader.signed()
            value.retryTimeout = try reader.signed()
            value.lockDuration = try reader.signed()
            value.errorCode = try reader.string()
            value.errorMessage = try reader.string()
            value.errorDetails = try reader.string()
            value.data = try reader.json()
            value.variables = try reader.variables()
            value.startTime = try reader.signed()
            value.endTime = try reader.signed()
            value.workerId = try reader.string()
            return .task(value)
        case .incident:
            var value = IncidentRecord()
            value.instanceKey = try reader.signed()
            value.incidentKey = try reader.signed()
            value.elementInstanceKey = try reader.signed()
            value.elementIndex = try reader.int32()
            value.taskKey = try reader.signed()
            guard let kind = IncidentKind(rawValue: try reader.byte()) else { throw reader.failure("unknown incident kind") }
            value.kind = kind
            value.message = try reader.string()
            value.retries = try reader.int32()
            value.variables = try reader.variables()
            return .incident(value)
        case .timer:
            var value = TimerRecord(
                instanceKey: try reader.signed(), timerKey: try reader.signed(), elementInstanceKey: try reader.signed(),
                elementIndex: try reader.int32(), dueAt: try reader.signed())
            if version >= 3 { value.repetitions = try reader.int32() }
            return .timer(value)
        case .variables:
            var value = VariablesRecord(instanceKey: try reader.signed(), variables: try reader.variables())
            if version >= 3 { value.scopeKey = try reader.signed() }
            return .variables(value)
        case .journalEntry:
            return .entry(EntryRecord(reason: try reader.string(), size: try reader.signed()))
        case .message:
            var value = MessageRecord()
            value.messageKey = try reader.signed()
            value.name = try reader.string()
            value.variables = try reader.variables()
            value.timeToLive = try reader.signed()
            value.expiresAt = try reader.signed()
            value.messageId = try reader.string()
            value.instanceKey = try reader.signed()
            value.elementInstanceKey = try reader.signed()
            value.elementIndex = try reader.int32()
            value.startProcessId = try reader.string()
            value.processVersion = try reader.int32()
            value.deploymentPosition = try reader.signed()
            value.businessKey = try reader.string()
            value.sourceTopic = try reader.string()
            value.sourcePartition = try reader.int32()
            value.sourceOffset = try reader.signed()
            return .message(value)
        case .messageSubscription:
            var value = SubscriptionRecord(
                instanceKey: try reader.signed(), subscriptionKey: try reader.signed(), elementInstanceKey: try reader.signed(),
                elementIndex: try reader.int32(), messageName: try reader.string(), correlationKey: try reader.string())
            value.correlationId = try reader.string()
            value.instancePartition = try reader.int32()
            value.interrupting = try reader.byte() != 0
            value.sourcePartition = try reader.int32()
            value.sourceOffset = try reader.signed()
            return .subscription(value)
        }
    }
}
