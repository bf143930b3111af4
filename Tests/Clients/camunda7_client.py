"""Camunda 7's Python external task client (camunda-external-task-client-python3, from PyPI)
against Baton's gateway: deploy, start, fetch and lock, complete with variables, fail with
retries and a retry timeout, throw a BPMN error caught by a boundary event, extend a lock,
run into an incident after the last retry, retry it in bulk. Exits non-zero naming what went
wrong; prints RESULT <json> at the end.

Usage: camunda7_client.py BASE_URL USER PASSWORD
"""
import json
import sys
import time

import requests
from camunda.client.engine_client import EngineClient
from camunda.client.external_task_client import ExternalTaskClient
from camunda.external_task.external_task import ExternalTask
from camunda.external_task.external_task_executor import ExternalTaskExecutor

BASE, USER, PASSWORD = sys.argv[1], sys.argv[2], sys.argv[3]
AUTH = {"auth_basic": {"username": USER, "password": PASSWORD}}
BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:error id="Declined" errorCode="DECLINED"/>
  <bpmn:process id="charge-order" isExecutable="true">
    <bpmn:startEvent id="Start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="Start" targetRef="Charge"/>
    <bpmn:serviceTask id="Charge" camunda:type="external" camunda:topic="charge"/>
    <bpmn:sequenceFlow id="f2" sourceRef="Charge" targetRef="Charged"/>
    <bpmn:endEvent id="Charged"/>
    <bpmn:boundaryEvent id="OnDeclined" attachedToRef="Charge"><bpmn:errorEventDefinition errorRef="Declined"/></bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f3" sourceRef="OnDeclined" targetRef="Refused"/>
    <bpmn:endEvent id="Refused"/>
  </bpmn:process>
</bpmn:definitions>
"""
BEHAVIOURS = ["ok", "ok", "declined", "flaky", "broken", "slow"]


def fail(message):
    print("FAILED: " + message, flush=True)
    sys.exit(1)


def headers():
    return ExternalTaskClient("probe", BASE, AUTH)._get_headers()


# Without credentials: 401 in Camunda's error shape.
anonymous = requests.get(BASE + "/engine")
if anonymous.status_code != 401 or anonymous.json().get("type") != "AuthenticationException":
    fail(f"an anonymous request got {anonymous.status_code} {anonymous.text}")

deployed = requests.post(BASE + "/deployment/create", headers={"Authorization": headers()["Authorization"]},
                         files={"deployment-name": (None, "charge"), "charge.bpmn": ("charge.bpmn", BPMN, "application/xml")})
if deployed.status_code != 200 or "charge-order:1" not in deployed.json().get("deployedProcessDefinitions", {}):
    fail(f"deployment: {deployed.status_code} {deployed.text}")

engine = EngineClient(BASE, AUTH)
started = {}
for index, behaviour in enumerate(BEHAVIOURS):
    dto = {"correlationId": f"order-{index}", "taskResults": []}
    instance = engine.start_process("charge-order", {"behaviour": behaviour, "amount": 10 + index,
                                                      "ProcessTaskResults": {"value": json.dumps(dto), "type": "Json"}},
                                    business_key=f"order-{index}")
    started[instance["id"]] = behaviour

# Variables set through the API land in the instance (the engine's setVariables).
first = next(iter(started))
changed = requests.post(f"{BASE}/process-instance/{first}/variables", headers=headers(),
                        json={"modifications": {"note": {"value": "vip", "type": "String"}}})
single = requests.put(f"{BASE}/process-instance/{first}/variables/priority", headers=headers(), json={"value": 5, "type": "Integer"})
if changed.status_code != 204 or single.status_code != 204:
    fail(f"setting variables: {changed.status_code} {changed.text} / {single.status_code} {single.text}")
note = requests.get(f"{BASE}/process-instance/{first}/variables/note", headers=headers()).json()
every = requests.get(f"{BASE}/process-instance/{first}/variables", headers=headers()).json()
if note.get("value") != "vip" or every.get("priority", {}).get("value") != 5 or every.get("amount", {}).get("value") != 10:
    fail(f"variables read back: {note} {every}")
wrong = requests.put(f"{BASE}/process-instance/{first}/variables/priority", headers=headers(), json={"value": "high", "type": "Integer"})
if wrong.status_code != 400 or "priority" not in wrong.json().get("message", ""):
    fail(f"a variable of the wrong type got {wrong.status_code} {wrong.text}")
refused = requests.post(f"{BASE}/process-instance/{first}/variables", headers=headers(), json={"deletions": ["note"]})
if refused.status_code != 400 or "deletions" not in refused.json().get("message", ""):
    fail(f"a deletion got {refused.status_code} {refused.text}")

client = ExternalTaskClient("python-worker", BASE, {**AUTH, "maxTasks": 10, "asyncResponseTimeout": 1000,
                                                     "lockDuration": 20000})
executor = ExternalTaskExecutor("python-worker", client)
seen = {"ok": 0, "declined": 0, "flaky": 0, "broken": 0, "slow": 0}
healthy = False
retried = 0
checked_wrong_worker = False
checked_dto = False
deadline = time.time() + 90

while time.time() < deadline:
    remaining = requests.get(BASE + "/process-instance", headers=headers()).json()
    if not remaining:
        break
    incidents = requests.get(BASE + "/external-task?noRetriesLeft=true", headers=headers()).json()
    if incidents and not healthy:
        # The failing service is healthy again: retry every task with an incident in one request.
        healthy = True
        ids = [task["id"] for task in incidents]
        answer = requests.put(BASE + "/external-task/retries", headers=headers(), json={"retries": 1, "externalTaskIds": ids})
        if answer.status_code != 204:
            fail(f"bulk retries: {answer.status_code} {answer.text}")
        retried = len(ids)
    for context in client.fetch_and_lock("charge"):
        task = ExternalTask(context)
        behaviour = task.get_variable("behaviour")
        if task.get_variable("amount") is None or task.get_business_key() is None:
            fail(f"task without its variables or business key: {context}")
        if not checked_dto:
            dto = task.get_variable("ProcessTaskResults", with_meta=True)
            if dto["type"] != "Json" or json.loads(dto["value"])["taskResults"] != []:
                fail(f"the ProcessTaskResults Json variable did not round-trip: {dto}")
            checked_dto = True
        if not checked_wrong_worker:
            intruder = requests.post(f"{BASE}/external-task/{task.get_task_id()}/complete", headers=headers(),
                                     json={"workerId": "intruder", "variables": {}})
            if intruder.status_code != 500 or intruder.json().get("type") != "BadUserRequestException":
                fail(f"another worker's complete got {intruder.status_code} {intruder.text}")
            checked_wrong_worker = True

        def act(task, behaviour=behaviour):
            if behaviour == "declined":
                seen["declined"] += 1
                return task.bpmn_error("DECLINED", "card declined", {"declineReason": "insufficient funds"})
            if behaviour == "flaky" and task.get_variable("flakyAttempts") is None and seen["flaky"] == 0:
                seen["flaky"] += 1
                return task.failure("gateway timeout", "upstream timed out", max_retries=3, retry_timeout=200)
            if behaviour == "broken" and not healthy:
                seen["broken"] += 1
                return task.failure("service down", "connection refused", max_retries=3, retry_timeout=0)
            if behaviour == "slow":
                before = requests.get(f"{BASE}/external-task/{task.get_task_id()}", headers=headers()).json()["lockExpirationTime"]
                extended = requests.post(f"{BASE}/external-task/{task.get_task_id()}/extendLock", headers=headers(),
                                         json={"workerId": "python-worker", "newDuration": 600000})
                if extended.status_code != 204:
                    fail(f"extendLock: {extended.status_code} {extended.text}")
                after = requests.get(f"{BASE}/external-task/{task.get_task_id()}", headers=headers()).json()["lockExpirationTime"]
                if not after > before:
                    fail(f"extendLock did not move the lock: {before} -> {after}")
            if behaviour != "flaky" and behaviour != "broken":
                seen[behaviour] += 1
            return task.complete({"charged": True, "receipt": {"amount": task.get_variable("amount")}},
                                 {"chargedBy": "python-worker"})

        executor.execute_task(task, act)

# Malformed requests are refused naming the field; oversized bodies with 413.
checks = [
    (requests.post(BASE + "/external-task/fetchAndLock", headers=headers(), json={"maxTasks": 1, "topics": []}), 400, "workerId"),
    (requests.post(BASE + "/external-task/fetchAndLock", headers=headers(),
                   json={"workerId": "w", "maxTasks": 1, "topics": [{"topicName": "charge"}]}), 400, "lockDuration"),
    (requests.post(BASE + "/external-task/fetchAndLock", headers=headers(), data="{not json"), 400, "not valid JSON"),
    (requests.post(BASE + "/process-definition/key/charge-order/start", headers=headers(),
                   json={"variables": {"amount": {"value": "ten", "type": "Integer"}}}), 400, "variables.amount"),
    (requests.post(BASE + "/process-definition/key/nothing/start", headers=headers(), json={}), 404, "nothing"),
    (requests.post(BASE + "/external-task/fetchAndLock", headers=headers(), data=b"x" * (5 << 20)), 413, "larger than"),
    (requests.get(BASE + "/engine", headers={"Authorization": "Bearer wrong"}), 401, "credentials"),
]
for response, status, mention in checks:
    if response.status_code != status or mention not in response.json().get("message", ""):
        fail(f"expected {status} mentioning '{mention}', got {response.status_code} {response.text[:300]}")

unknown = requests.post(f"{BASE}/external-task/1-2-3-b3JkZXI/complete", headers=headers(), json={"workerId": "python-worker"})
if unknown.status_code != 404:
    fail(f"an unknown task got {unknown.status_code} {unknown.text}")
left = requests.get(BASE + "/process-instance", headers=headers()).json()
if left:
    fail(f"instances still running after 90 s: {left}; seen {seen}")
print("RESULT " + json.dumps({"seen": seen, "retried": retried, "started": len(started)}), flush=True)
