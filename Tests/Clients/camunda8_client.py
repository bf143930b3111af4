"""Camunda 8's Python SDK (camunda-orchestration-sdk, from PyPI) against Baton's gateway:
topology, deploy, create instances, a job worker that completes jobs with variables, fails
one with retries and a back-off, throws a BPMN error caught by a boundary event and fails
two for good (incidents); one incident is fixed by raising the job's retries, the other by
resolving the incident; an instance is canceled; messages are published (before their
subscription, with a time to live) and correlated, through the SDK and through Camunda 7's
POST /engine-rest/message (by business key, and starting a process by its message start
event); signals are broadcast through the SDK and through POST /engine-rest/signal (one
starts a process by its signal start event); problem details for an unknown job, malformed requests and wrong credentials. Exits non-zero naming what went wrong; prints
RESULT <json> at the end.

Usage: camunda8_client.py BASE_URL USER PASSWORD   (BASE_URL: http://host:port, no path)
"""
import asyncio
import os
import sys
import tempfile
import time

import requests
from camunda_orchestration_sdk import (CamundaAsyncClient, CamundaClient, JobChangeset, JobError, JobFailure,
                                       JobUpdateRequest, MessageCorrelationRequest, MessagePublicationRequest,
                                       ProcessCreationById, SignalBroadcastRequest, WorkerConfig)
from camunda_orchestration_sdk.models.message_correlation_request_variables import \
    MessageCorrelationRequestVariables as CorrelationVariables
from camunda_orchestration_sdk.models.message_publication_request_variables import \
    MessagePublicationRequestVariables as PublicationVariables
from camunda_orchestration_sdk.models.process_instance_creation_instruction_base_variables import \
    ProcessInstanceCreationInstructionBaseVariables as Variables

BASE, USER, PASSWORD = sys.argv[1], sys.argv[2], sys.argv[3]
CONFIG = {"CAMUNDA_REST_ADDRESS": BASE + "/v2", "CAMUNDA_AUTH_STRATEGY": "BASIC",
          "CAMUNDA_BASIC_AUTH_USERNAME": USER, "CAMUNDA_BASIC_AUTH_PASSWORD": PASSWORD}
AUTH = (USER, PASSWORD)
BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="t">
  <bpmn:error id="Declined" errorCode="DECLINED"/>
  <bpmn:process id="pay-order" isExecutable="true">
    <bpmn:startEvent id="Start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="Start" targetRef="Pay"/>
    <bpmn:serviceTask id="Pay"><bpmn:extensionElements><zeebe:taskDefinition type="pay" retries="3"/></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="Pay" targetRef="Paid"/>
    <bpmn:endEvent id="Paid"/>
    <bpmn:boundaryEvent id="OnDeclined" attachedToRef="Pay"><bpmn:errorEventDefinition errorRef="Declined"/></bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f3" sourceRef="OnDeclined" targetRef="Refused"/>
    <bpmn:endEvent id="Refused"/>
  </bpmn:process>
</bpmn:definitions>
"""
MESSAGES_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="m" targetNamespace="t">
  <bpmn:message id="Paid" name="paid"><bpmn:extensionElements><zeebe:subscription correlationKey="=orderId"/></bpmn:extensionElements></bpmn:message>
  <bpmn:message id="Refund" name="refund-requested"/>
  <bpmn:process id="await-payment" isExecutable="true">
    <bpmn:startEvent id="Start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="Start" targetRef="WaitForPayment"/>
    <bpmn:intermediateCatchEvent id="WaitForPayment"><bpmn:messageEventDefinition messageRef="Paid"/></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="WaitForPayment" targetRef="Done"/>
    <bpmn:endEvent id="Done"/>
  </bpmn:process>
  <bpmn:process id="refund" isExecutable="true">
    <bpmn:startEvent id="RefundRequested"><bpmn:messageEventDefinition messageRef="Refund"/></bpmn:startEvent>
    <bpmn:sequenceFlow id="r1" sourceRef="RefundRequested" targetRef="WaitForRefund"/>
    <bpmn:intermediateCatchEvent id="WaitForRefund"><bpmn:messageEventDefinition messageRef="Paid"/></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="r2" sourceRef="WaitForRefund" targetRef="Refunded"/>
    <bpmn:endEvent id="Refunded"/>
  </bpmn:process>
</bpmn:definitions>
"""
SIGNALS_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="s" targetNamespace="t">
  <bpmn:signal id="Open" name="shop-open"/>
  <bpmn:signal id="Recall" name="recall"/>
  <bpmn:process id="await-signal" isExecutable="true">
    <bpmn:startEvent id="Start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="Start" targetRef="WaitForOpen"/>
    <bpmn:intermediateCatchEvent id="WaitForOpen"><bpmn:signalEventDefinition signalRef="Open"/></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="WaitForOpen" targetRef="Done"/>
    <bpmn:endEvent id="Done"/>
  </bpmn:process>
  <bpmn:process id="on-recall" isExecutable="true">
    <bpmn:startEvent id="Recalled"><bpmn:signalEventDefinition signalRef="Recall"/></bpmn:startEvent>
    <bpmn:sequenceFlow id="r1" sourceRef="Recalled" targetRef="Contact"/>
    <bpmn:userTask id="Contact"/>
    <bpmn:sequenceFlow id="r2" sourceRef="Contact" targetRef="Contacted"/>
    <bpmn:endEvent id="Contacted"/>
  </bpmn:process>
</bpmn:definitions>
"""
BEHAVIOURS = ["ok", "ok", "declined", "flaky", "broken", "broken", "broken"]


def fail(message):
    print("FAILED: " + message, flush=True)
    sys.exit(1)


def running():
    return requests.get(BASE + "/engine-rest/process-instance", auth=AUTH).json()


client = CamundaClient(configuration=CONFIG)

topology = client.get_topology()
if topology.partitions_count < 1 or not topology.brokers:
    fail(f"topology: {topology}")

with tempfile.TemporaryDirectory() as directory:
    path = os.path.join(directory, "pay-order.bpmn")
    with open(path, "w") as file:
        file.write(BPMN)
    deployment = client.deploy_resources_from_files([path])
definitions = [d.process_definition for d in deployment.deployments if d.process_definition]
if [d.process_definition_id for d in definitions] != ["pay-order"]:
    fail(f"deployment: {deployment}")

started = {}
for index, behaviour in enumerate(BEHAVIOURS):
    created = client.create_process_instance(data=ProcessCreationById(
        process_definition_id="pay-order",
        variables=Variables.from_dict({"behaviour": behaviour, "amount": 10 + index, "correlationId": f"pay-{index}"})))
    if created.process_definition_key != definitions[0].process_definition_key:
        fail(f"created from another definition: {created}")
    started[str(created.process_instance_key)] = behaviour

# One more, canceled before any worker runs.
doomed = client.create_process_instance(data=ProcessCreationById(process_definition_id="pay-order",
                                                                 variables=Variables.from_dict({"behaviour": "ok"})))
client.cancel_process_instance(process_instance_key=doomed.process_instance_key, data=None)

seen = {"ok": 0, "declined": 0, "flaky": 0, "broken": 0}
broken_jobs = []
healthy = False


async def handle(job):
    variables = job.variables.to_dict()
    behaviour = variables["behaviour"]
    if variables.get("amount") is None:
        raise JobFailure("no amount", retries=0)
    if behaviour == "declined":
        seen["declined"] += 1
        raise JobError("DECLINED", "card declined", {"declineReason": "insufficient funds"})
    if behaviour == "flaky" and seen["flaky"] == 0:
        seen["flaky"] += 1
        raise JobFailure("gateway timeout", retries=2, retry_back_off=200)
    if behaviour == "broken" and not healthy:
        seen["broken"] += 1
        broken_jobs.append(str(job.job_key))
        raise JobFailure("service down", retries=0)
    if behaviour == "ok":
        seen["ok"] += 1
    return {"charged": True, "receipt": {"amount": variables["amount"]}}


async def work():
    global healthy
    async with CamundaAsyncClient(configuration=CONFIG) as workers:
        workers.create_job_worker(config=WorkerConfig(job_type="pay", job_timeout_milliseconds=20000,
                                                      request_timeout_milliseconds=1000, max_concurrent_jobs=8),
                                  callback=handle)
        runner = asyncio.create_task(workers.run_workers())
        deadline = time.time() + 90
        while time.time() < deadline and running():
            if len(broken_jobs) == 3 and not healthy and len(requests.get(BASE + "/engine-rest/incident", auth=AUTH).json()) == 3:
                # The failing service is healthy again: one job gets new retries (which
                # resolves its incident), another's incident is resolved directly, the last
                # through Baton's own API (bulk, by topic and error).
                healthy = True
                client.update_job(job_key=broken_jobs[0], data=JobUpdateRequest(changeset=JobChangeset(retries=2)))
                incidents = requests.get(BASE + "/engine-rest/incident", auth=AUTH).json()
                if len(incidents) != 2:
                    fail(f"expected two incidents left after raising retries, got {incidents}")
                client.resolve_incident(incident_key=incidents[0]["id"])
                refused = requests.post(BASE + "/baton/v1/incidents/retry", auth=AUTH, json={})
                if refused.status_code != 400 or "topic" not in refused.json().get("message", ""):
                    fail(f"a bulk retry naming no incidents got {refused.status_code} {refused.text}")
                none = requests.post(BASE + "/baton/v1/incidents/retry", auth=AUTH, json={"topic": "other", "retries": 1}).json()
                bulk = requests.post(BASE + "/baton/v1/incidents/retry", auth=AUTH,
                                     json={"topic": "pay", "elementId": "Pay", "errorContains": "service down", "retries": 1}).json()
                if none.get("retried") != 0 or bulk.get("retried") != 1 or bulk.get("incidents") != [incidents[1]["id"]]:
                    fail(f"bulk retry through Baton's API: {none} {bulk}")
            await asyncio.sleep(0.2)
        runner.cancel()
        try:
            await runner
        except (asyncio.CancelledError, Exception):
            pass

asyncio.run(work())

left = running()
if left:
    fail(f"instances still running after 90 s: {left}; seen {seen}")

# Baton's own API: an instance's history from the journal, the workers' lag.
history = requests.get(BASE + "/baton/v1/instances/pay-0/history", auth=AUTH).json()
intents = [record["intent"] for record in history.get("records", []) if record["recordType"] == "event"]
if history.get("correlationId") != "pay-0" or intents[0] != "instanceCreated" or intents[-1] != "instanceCompleted" \
        or "taskCompleted" not in intents:
    fail(f"history of pay-0: {history}")
missing = requests.get(BASE + "/baton/v1/instances/nobody/history", auth=AUTH)
if missing.status_code != 404:
    fail(f"history of an unknown id got {missing.status_code} {missing.text}")
lag = requests.get(BASE + "/baton/v1/lag", auth=AUTH).json()
pay = [topic for topic in lag.get("topics", []) if topic["topic"] == "baton.task.pay"]
if len(pay) != 1 or pay[0]["group"] != "baton-workers.pay" or pay[0]["end"] < len(BEHAVIOURS):
    fail(f"lag: {lag}")

# Baton's API refuses garbage naming the field (its errors have the Camunda 7 body).
for response, mention in [
    (requests.get(BASE + "/baton/v1/instances/" + "x" * 2000 + "/history", auth=AUTH), "1024"),
    (requests.post(BASE + "/baton/v1/incidents/retry", auth=AUTH, json={"all": True, "retries": "many"}), "retries"),
    (requests.post(BASE + "/baton/v1/incidents/retry", auth=AUTH, json={"topic": 7}), "topic"),
    (requests.post(BASE + "/baton/v1/incidents/retry", auth=AUTH, data=b"{" * 100), "JSON"),
]:
    if response.status_code != 400 or mention not in response.json().get("message", ""):
        fail(f"expected 400 naming '{mention}', got {response.status_code} {response.text[:300]}")

# Messages: a correlation key expression, a message published before its subscription
# with a time to live, correlation that reports the instance, and Camunda 7's /message.
with tempfile.TemporaryDirectory() as directory:
    path = os.path.join(directory, "messages.bpmn")
    with open(path, "w") as file:
        file.write(MESSAGES_BPMN)
    client.deploy_resources_from_files([path])


def instance_of(correlation_id):
    return client.create_process_instance(data=ProcessCreationById(
        process_definition_id="await-payment", variables=Variables.from_dict({"orderId": correlation_id, "correlationId": correlation_id})))


def active(key):
    return requests.get(BASE + f"/engine-rest/process-instance/{key}", auth=AUTH).status_code == 200


def settle(condition, what):
    deadline = time.time() + 20
    while time.time() < deadline and not condition():
        time.sleep(0.05)
    if not condition():
        fail(what)


early = client.publish_message(data=MessagePublicationRequest(name="paid", correlation_key="m-early", time_to_live=60000,
                                                              variables=PublicationVariables.from_dict({"paidEarly": True})))
if not str(early.message_key).isdigit():
    fail(f"publication: {early}")
buffered = instance_of("m-early")
settle(lambda: not active(buffered.process_instance_key), "a message published before its subscription was not taken")
waiting = instance_of("m-1")
settle(lambda: active(waiting.process_instance_key), "the waiting instance is not visible")
correlated = client.correlate_message(data=MessageCorrelationRequest(name="paid", correlation_key="m-1",
                                                                  variables=CorrelationVariables.from_dict({"paid": 12})))
if str(correlated.process_instance_key) != str(waiting.process_instance_key):
    fail(f"correlation reported {correlated.process_instance_key}, the instance is {waiting.process_instance_key}")
settle(lambda: not active(waiting.process_instance_key), "the correlated instance did not complete")
nobody = requests.post(BASE + "/v2/messages/correlation", auth=AUTH, json={"name": "paid", "correlationKey": "nobody"})
if nobody.status_code != 404 or nobody.json().get("title") != "NOT_FOUND":
    fail(f"correlating to nobody got {nobody.status_code} {nobody.text[:300]}")
for body in [{"correlationKey": "m-1"}, {"name": "paid"}, {"name": "paid", "correlationKey": "k", "timeToLive": -1},
             {"name": "paid", "correlationKey": "k", "variables": [1]}]:
    refused = requests.post(BASE + "/v2/messages/publication", auth=AUTH, json=body)
    if refused.status_code != 400 or refused.json().get("title") != "INVALID_ARGUMENT":
        fail(f"publication {body} got {refused.status_code} {refused.text[:300]}")

# Garbage and oversized bodies to the message endpoints are refused, naming what is wrong.
for path, data, status in [
    ("/v2/messages/publication", b"{not json", 400), ("/v2/messages/correlation", b"\xff\xfe" * 100, 400),
    ("/v2/messages/publication", b"x" * (5 << 20), 413), ("/engine-rest/message", b"[1, 2", 400),
    ("/engine-rest/message", b"x" * (5 << 20), 413),
]:
    refused = requests.post(BASE + path, auth=AUTH, data=data, headers={"Content-Type": "application/json"})
    if refused.status_code != status:
        fail(f"{path} with {len(data)} bytes of garbage got {refused.status_code} {refused.text[:200]}")
for body in [{"messageName": 7}, {"messageName": "paid", "processInstanceId": "x" * 2000},
             {"messageName": "paid", "processVariables": {"v": {"value": 1, "type": "Pirate"}}}]:
    refused = requests.post(BASE + "/engine-rest/message", auth=AUTH, json=body)
    if refused.status_code != 400:
        fail(f"/engine-rest/message {str(body)[:80]} got {refused.status_code} {refused.text[:200]}")

# Camunda 7: a message start event by business key, then the same key's waiting instance.
message_start = requests.post(BASE + "/engine-rest/message", auth=AUTH,
                        json={"messageName": "refund-requested", "businessKey": "r-1", "resultEnabled": True,
                              "processVariables": {"orderId": {"value": "r-1", "type": "String"}}})
result = message_start.json() if message_start.status_code == 200 else []
if len(result) != 1 or result[0]["resultType"] != "ProcessDefinition" or not result[0]["processInstance"]["id"]:
    fail(f"message start through /engine-rest/message: {message_start.status_code} {message_start.text[:300]}")
refund = result[0]["processInstance"]["id"]
settle(lambda: active(refund), "the refund instance is not visible")
mismatch = requests.post(BASE + "/engine-rest/message", auth=AUTH, json={"messageName": "paid", "businessKey": "nobody"})
if mismatch.status_code != 400 or mismatch.json().get("type") != "MismatchingMessageCorrelationException":
    fail(f"a message nobody waits for got {mismatch.status_code} {mismatch.text[:300]}")
paid = requests.post(BASE + "/engine-rest/message", auth=AUTH, json={"messageName": "paid", "businessKey": "r-1"})
if paid.status_code != 204:
    fail(f"correlating by business key got {paid.status_code} {paid.text[:300]}")
settle(lambda: not active(refund), "the refund instance did not complete")

# Signals: broadcast through the SDK (every waiting instance goes on) and through Camunda
# 7's POST /engine-rest/signal (a signal start event starts its process, with the signal's
# variables); malformed and oversized broadcasts are refused.
with tempfile.TemporaryDirectory() as directory:
    path = os.path.join(directory, "signals.bpmn")
    with open(path, "w") as file:
        file.write(SIGNALS_BPMN)
    client.deploy_resources_from_files([path])
waiting_for_signal = [client.create_process_instance(data=ProcessCreationById(
    process_definition_id="await-signal", variables=Variables.from_dict({"correlationId": f"s-{n}"}))).process_instance_key
    for n in range(2)]
settle(lambda: all(active(key) for key in waiting_for_signal), "the instances waiting for a signal are not visible")
broadcast = client.broadcast_signal(data=SignalBroadcastRequest(signal_name="shop-open"))
if not str(broadcast.signal_key).isdigit():
    fail(f"signal broadcast: {broadcast}")
settle(lambda: not any(active(key) for key in waiting_for_signal), "a broadcast signal did not reach every waiting instance")
recall = requests.post(BASE + "/engine-rest/signal", auth=AUTH,
                       json={"name": "recall", "variables": {"batch": {"value": "B-7", "type": "String"}}})
if recall.status_code != 204:
    fail(f"POST /engine-rest/signal got {recall.status_code} {recall.text[:300]}")


def recalled():
    return requests.get(BASE + "/engine-rest/process-instance?processDefinitionKey=on-recall", auth=AUTH).json()


settle(lambda: len(recalled()) == 1, "the signal start event did not start its process once")
variables = requests.get(BASE + f"/engine-rest/process-instance/{recalled()[0]['id']}/variables", auth=AUTH).json()
if variables.get("batch", {}).get("value") != "B-7":
    fail(f"the started instance lacks the signal's variables: {variables}")
canceled = requests.delete(BASE + f"/engine-rest/process-instance/{recalled()[0]['id']}", auth=AUTH)
if canceled.status_code != 204:
    fail(f"canceling the recall instance got {canceled.status_code} {canceled.text[:200]}")
settle(lambda: len(recalled()) == 0, "the recall instance was not canceled")
for path, body, status in [
    ("/v2/signals/broadcast", {}, 400), ("/v2/signals/broadcast", {"signalName": 7}, 400),
    ("/v2/signals/broadcast", {"signalName": "x", "variables": [1]}, 400),
    ("/v2/signals/broadcast", {"signalName": "x", "tenantId": "other"}, 400),
    ("/v2/signals/broadcast", {"signalName": "s" * 2000}, 400),
    ("/engine-rest/signal", {"name": "x", "executionId": "1"}, 400), ("/engine-rest/signal", {"variables": {}}, 400),
]:
    refused = requests.post(BASE + path, auth=AUTH, json=body)
    if refused.status_code != status:
        fail(f"{path} {str(body)[:60]} got {refused.status_code} {refused.text[:200]}")
for path in ["/v2/signals/broadcast", "/engine-rest/signal"]:
    for data, status in [(b"{not json", 400), (b"x" * (5 << 20), 413)]:
        refused = requests.post(BASE + path, auth=AUTH, data=data, headers={"Content-Type": "application/json"})
        if refused.status_code != status:
            fail(f"{path} with {len(data)} bytes of garbage got {refused.status_code} {refused.text[:200]}")

# Problem details: an unknown job, a malformed request, wrong credentials.
checks = [
    (requests.post(BASE + "/v2/jobs/123/completion", auth=AUTH, json={}), 404, "NOT_FOUND"),
    (requests.post(BASE + "/v2/jobs/activation", auth=AUTH, json={"type": "pay", "maxJobsToActivate": 1}), 400, "INVALID_ARGUMENT"),
    (requests.post(BASE + "/v2/process-instances", auth=AUTH, json={"processDefinitionId": "nothing"}), 404, "NOT_FOUND"),
    (requests.get(BASE + "/v2/topology", auth=(USER, "wrong")), 401, "UNAUTHORIZED"),
    (requests.post(BASE + "/v2/jobs/activation", auth=AUTH, data="{not json"), 400, "INVALID_ARGUMENT"),
    (requests.post(BASE + "/v2/jobs/activation", auth=AUTH, data=b"x" * (5 << 20)), 413, "PAYLOAD_TOO_LARGE"),
    (requests.post(BASE + "/v2/jobs/activation", auth=AUTH,
                   json={"type": "pay", "timeout": 1000, "maxJobsToActivate": 10 ** 9}), 400, "INVALID_ARGUMENT"),
    (requests.post(BASE + "/v2/process-instances", auth=AUTH, json={"processDefinitionKey": "12ab"}), 400, "INVALID_ARGUMENT"),
    (requests.post(BASE + "/v2/deployments", auth=AUTH, files={"resources": ("notes.txt", b"not bpmn", "text/plain")}), 400,
     "INVALID_ARGUMENT"),
    (requests.patch(BASE + "/v2/jobs/123", auth=AUTH, json={"changeset": {"timeout": "soon"}}), 400, "INVALID_ARGUMENT"),
]
for response, status, title in checks:
    body = response.json()
    if response.status_code != status or body.get("title") != title or body.get("status") != status or not body.get("detail"):
        fail(f"expected {status} {title}, got {response.status_code} {response.text[:300]}")
print("RESULT " + __import__("json").dumps({"seen": seen, "started": len(started), "brokenJobs": len(broken_jobs)}), flush=True)
