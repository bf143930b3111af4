"""Workers of both Camunda clients against two Baton gateways, one of which is killed with
SIGKILL mid-run: Camunda 7 external task workers (camunda-external-task-client-python3)
serve validate-order, reserve-inventory and ship-order; Camunda 8 job workers
(camunda-orchestration-sdk) serve charge-payment and notify-customer; each type has a
worker on each gateway, as behind a load balancer. Starts COUNT order-process instances,
kills gateway B (its pid is given) once a third of the tasks are done, and waits until
every instance has completed. Prints RESULT <json> with what the workers handled.

Usage: two_gateways.py ROOT_A ROOT_B PID_B USER PASSWORD BPMN_FILE COUNT
(ROOT_*: http://host:port, no path)
"""
import asyncio
import json
import os
import signal
import sys
import threading
import time

import requests
from camunda.external_task.external_task import ExternalTask
from camunda.external_task.external_task_executor import ExternalTaskExecutor
from camunda.client.external_task_client import ExternalTaskClient
from camunda_orchestration_sdk import CamundaAsyncClient, CamundaClient, ProcessCreationById, WorkerConfig
from camunda_orchestration_sdk.models.process_instance_creation_instruction_base_variables import \
    ProcessInstanceCreationInstructionBaseVariables as Variables

ROOT_A, ROOT_B, PID_B, USER, PASSWORD, BPMN_FILE, COUNT = sys.argv[1:8]
PID_B, COUNT = int(PID_B), int(COUNT)
AUTH = (USER, PASSWORD)
C7_TOPICS = ["validate-order", "reserve-inventory", "ship-order"]
C8_TYPES = ["charge-payment", "notify-customer"]
TOTAL_TASKS = COUNT * 5
handled = {}  # (type, instance key) -> times a handler ran
lock = threading.Lock()
stop = threading.Event()
killed = threading.Event()


def fail(message):
    print("FAILED: " + message, flush=True)
    os._exit(1)


def config(root):
    return {"CAMUNDA_REST_ADDRESS": root + "/v2", "CAMUNDA_AUTH_STRATEGY": "BASIC",
            "CAMUNDA_BASIC_AUTH_USERNAME": USER, "CAMUNDA_BASIC_AUTH_PASSWORD": PASSWORD}


def note(kind, instance):
    with lock:
        handled[(kind, instance)] = handled.get((kind, instance), 0) + 1
        done = len(handled)
    if done >= TOTAL_TASKS // 3 and not killed.is_set():
        killed.set()
        os.kill(PID_B, signal.SIGKILL)
        print(f"killed gateway B after {done} tasks", flush=True)


def c7_worker(root, topic):
    """One Camunda 7 worker: fetch, complete, again; a dead gateway ends it (the other
    gateway's worker carries on)."""
    client = ExternalTaskClient(f"c7-{topic}-{root[-5:]}", root + "/engine-rest",
                                {"auth_basic": {"username": USER, "password": PASSWORD}, "maxTasks": 20,
                                 "asyncResponseTimeout": 500, "lockDuration": 3000})
    executor = ExternalTaskExecutor(client.worker_id, client)
    while not stop.is_set():
        try:
            for context in client.fetch_and_lock(topic):
                task = ExternalTask(context)
                note(topic, task.get_process_instance_id())
                executor.execute_task(task, lambda t: t.complete({f"{topic}Done": True}))
        except Exception as error:  # noqa: BLE001 - the gateway went away: this worker is done
            if root == ROOT_B and killed.is_set():
                return
            fail(f"Camunda 7 worker on {root}: {error}")


async def c8_workers():
    clients = [CamundaAsyncClient(configuration=config(root)) for root in (ROOT_A, ROOT_B)]
    for client in clients:
        for job_type in C8_TYPES:
            async def handle(job, job_type=job_type):
                note(job_type, str(job.process_instance_key))
                return {f"{job_type}Done": True}
            client.create_job_worker(config=WorkerConfig(job_type=job_type, job_timeout_milliseconds=3000,
                                                         request_timeout_milliseconds=500, max_concurrent_jobs=20),
                                     callback=handle)
    runners = [asyncio.create_task(client.run_workers()) for client in clients]
    while not stop.is_set():
        await asyncio.sleep(0.2)
    for runner in runners:
        runner.cancel()
    await asyncio.gather(*runners, return_exceptions=True)


starter = CamundaClient(configuration=config(ROOT_A))
deployed = starter.deploy_resources_from_files([BPMN_FILE])
if not deployed.deployments:
    fail(f"deployment: {deployed}")
threads = [threading.Thread(target=c7_worker, args=(root, topic), daemon=True) for root in (ROOT_A, ROOT_B) for topic in C7_TOPICS]
threads.append(threading.Thread(target=lambda: asyncio.run(c8_workers()), daemon=True))
for thread in threads:
    thread.start()
for index in range(COUNT):
    starter.create_process_instance(data=ProcessCreationById(
        process_definition_id="order-process",
        variables=Variables.from_dict({"correlationId": f"order-{index}", "order": {"id": f"order-{index}", "total": 250}})))
print(f"started {COUNT} instances", flush=True)

deadline = time.time() + 300
while time.time() < deadline:
    left = requests.get(ROOT_A + "/engine-rest/process-instance", auth=AUTH).json()
    if not left:
        break
    time.sleep(0.5)
stop.set()
if left:
    fail(f"{len(left)} instance(s) still running after 300 s; {len(handled)} tasks handled")
if not killed.is_set():
    fail("gateway B was never killed")
repeats = sum(1 for times in handled.values() if times > 1)
by_type = {}
for (kind, _), _times in handled.items():
    by_type[kind] = by_type.get(kind, 0) + 1
print("RESULT " + json.dumps({"handled": by_type, "handledTwice": repeats}), flush=True)
os._exit(0)
