import BatonTestSupport
import BatonBPMN
import BatonModel
import Testing

/// The example processes in `bpmn/` are what newcomers deploy first: each must compile clean.
struct ExampleProcessTests {
    static let files = ["checkout.bpmn", "invoice-camunda7.bpmn", "map-reduce.bpmn", "order-events.bpmn", "order-lines.bpmn", "order-process.bpmn", "restock-signals.bpmn", "shipment-camunda8.bpmn", "support-ticket-camunda7.bpmn"]

    @Test func everyExampleIsListed() {
        #expect(TestFiles.listing(TestFiles.examples, suffix: ".bpmn") == Self.files)
    }

    @Test(arguments: files)
    func validatesClean(_ file: String) throws {
        let deployment = try BPMNDeployment.load(path: TestFiles.examples + "/" + file)
        #expect(!deployment.processes.isEmpty)
        let planes = deployment.document.diagrams.flatMap(\.planes)
        for compiled in deployment.processes {
            #expect(compiled.problems == [])
            #expect(compiled.executable != nil)
            #expect(compiled.startRefusal == nil)
            // Each opens in Camunda Modeler: every flow node has a shape, every flow an edge
            // (one plane per process, or the only plane).
            let plane = try #require(planes.first { $0.bpmnElement == compiled.process.id } ?? (planes.count == 1 ? planes[0] : nil))
            #expect(Set(plane.shapes.compactMap(\.bpmnElement)) == Set(compiled.process.allFlowNodes.map(\.id)))
            #expect(Set(plane.edges.compactMap(\.bpmnElement)) == Set(compiled.process.allSequenceFlows.map(\.id)))
        }
    }

    @Test func orderProcessHasTheAgreedShape() throws {
        let process = try #require(try BPMNDeployment.load(path: TestFiles.examples + "/order-process.bpmn").processes[0].executable)
        func element(_ id: String) throws -> ExecutableElement { process[element: try #require(process.elementIndex(id: id))] }
        #expect(try element("ChargePayment").task == TaskDefinition(topic: "charge-payment", retries: 3))
        let boundary = try element("PaymentDeclined")
        #expect(boundary.kind == .errorBoundaryEvent)
        #expect(boundary.errorCode == "PAYMENT_DECLINED")
        #expect(boundary.attachedTo == process.elementIndex(id: "ChargePayment"))
        #expect(try element("ChargePayment").boundaryEvents == [process.elementIndex(id: "PaymentDeclined")!])
        let split = try element("SplitFulfilment")
        #expect(split.kind == .parallelGateway && split.outgoing.count == 2)
        #expect(try element("JoinFulfilment").incoming.count == 2)
        let choice = try element("CheckAmount")
        #expect(choice.kind == .exclusiveGateway)
        let conditioned = choice.outgoing.compactMap { process[flow: $0].condition }
        #expect(conditioned.map(\.source) == ["=order.total > 1000"])
        #expect(choice.defaultFlow.map { process[flow: $0].id } == "Flow_NoApproval")
        #expect(try element("ApproveOrder").kind == .userTask)
        #expect(try element("OrderCancelled").kind == .terminateEndEvent)
        #expect(process[element: process.startEvent].id == "OrderReceived")
    }

    @Test func orderEventsWaitsForThePaymentMessageAgainstATimer() throws {
        let process = try #require(try BPMNDeployment.load(path: TestFiles.examples + "/order-events.bpmn").processes[0].executable)
        func element(_ id: String) throws -> ExecutableElement { process[element: try #require(process.elementIndex(id: id))] }
        let gateway = try element("AwaitPayment")
        #expect(gateway.kind == .eventBasedGateway && gateway.outgoing.count == 2)
        #expect(try element("PaymentConfirmed").kind == .messageCatchEvent)
        #expect(try element("PaymentConfirmed").message == MessageDefinition(name: "payment-confirmed"))
        #expect(try element("PaymentTimedOut").timer == .duration(milliseconds: 600_000))
        #expect(try element("ValidateOrder").task?.topic == "validate-order")
    }

    @Test func camunda7ExtensionsAreCompiled() throws {
        let process = try #require(try BPMNDeployment.load(path: TestFiles.examples + "/invoice-camunda7.bpmn").processes[0].executable)
        let extract = process[element: process.elementIndex(id: "ExtractInvoice")!]
        #expect(extract.task?.topic == "invoice-extract")
        #expect(extract.inputs.map(\.target) == ["documentId", "source"])
        #expect(extract.inputs[1].source == .constant("mailbox"))
        #expect(extract.outputs.map(\.target) == ["amount"])
        #expect(process[element: process.elementIndex(id: "BookInvoice")!].task?.priority == 10)
        // A Camunda 7 user task has no topic: it waits on Baton's user-task topic.
        #expect(process[element: process.elementIndex(id: "ApproveInvoice")!].task?.topic == TaskDefinition.userTaskTopic)
    }

    @Test func camunda8ExtensionsAreCompiled() throws {
        let process = try #require(try BPMNDeployment.load(path: TestFiles.examples + "/shipment-camunda8.bpmn").processes[0].executable)
        func element(_ id: String) -> ExecutableElement { process[element: process.elementIndex(id: id)!] }
        #expect(element("BookCarrier").task == TaskDefinition(topic: "book-carrier", retries: 5))
        #expect(element("BookCarrier").inputs.map(\.target) == ["weight", "country"])
        #expect(element("ComputeWeight").script?.resultVariable == "billedWeight")
        #expect(element("WaitForPickup").timer == .duration(milliseconds: 600_000))
        #expect(element("BookingTimedOut").kind == .timerBoundaryEvent)
        #expect(element("BookingTimedOut").timer == .duration(milliseconds: 3_600_000))
        #expect(element("Extras").kind == .inclusiveGateway)
    }
}
