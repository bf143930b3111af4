import BatonModel

/// Exclusive gateway: the first outgoing flow (in document order) whose condition holds,
/// else the default flow, else an incident.
enum ExclusiveGatewayBehavior {
    static func run(_ token: Token, _ writer: inout StepWriter, _ agenda: inout TokenAgenda) {
        let element = token.element
        let process = token.deployed.process
        let evaluator = writer.evaluator(token)
        for flow in element.outgoing where flow != element.defaultFlow {
            guard let condition = process[flow: flow].condition else {
                writer.leave(token, flows: [flow], &agenda)
                return
            }
            do {
                if try evaluator.condition(condition) {
                    writer.leave(token, flows: [flow], &agenda)
                    return
                }
            } catch {
                writer.raiseIncident(.expressionFailed, token, "condition of flow '\(process[flow: flow].id)': \(error.message)")
                return
            }
        }
        if let fallback = element.defaultFlow {
            writer.leave(token, flows: [fallback], &agenda)
        } else {
            writer.raiseIncident(.noFlowTaken, token, "no condition of exclusive gateway '\(element.id)' holds and it has no default flow")
        }
    }
}

/// Inclusive gateway (fork side): every outgoing flow whose condition holds (flows without
/// a condition always), else the default flow, else an incident. The join side waits in
/// `StepWriter.drain` until no token can still arrive.
enum InclusiveGatewayBehavior {
    static func run(_ token: Token, _ writer: inout StepWriter, _ agenda: inout TokenAgenda) {
        let element = token.element
        let process = token.deployed.process
        let evaluator = writer.evaluator(token)
        var taken: [Int32] = []
        for flow in element.outgoing where flow != element.defaultFlow {
            guard let condition = process[flow: flow].condition else {
                taken.append(flow)
                continue
            }
            do {
                if try evaluator.condition(condition) { taken.append(flow) }
            } catch {
                writer.raiseIncident(.expressionFailed, token, "condition of flow '\(process[flow: flow].id)': \(error.message)")
                return
            }
        }
        if taken.isEmpty, let fallback = element.defaultFlow { taken = [fallback] }
        guard !taken.isEmpty else {
            writer.raiseIncident(.noFlowTaken, token, "no condition of inclusive gateway '\(element.id)' holds and it has no default flow")
            return
        }
        writer.leave(token, flows: taken, &agenda)
    }
}
