"""A worker written the way any Python team would write one, with confluent-kafka from
PyPI: it reads Baton task messages from a task topic as a member of the topic's consumer
group and answers on the journal with the JSON answers of topics/schemas/, keyed by
correlationId with the Java client's murmur2 partitioner (so no partition is named).

usage: python_worker.py BOOTSTRAP TASK_TOPIC JOURNAL_TOPIC GROUP COUNT

Answers: correlationIds starting with "fail-" fail with no retries left (an incident),
"error-" throw the BPMN error REJECTED, every other one completes with a result. Exits 0
after COUNT answers, 1 if they do not arrive within 60 s.
"""
import json
import sys
import time

from confluent_kafka import Consumer, Producer

bootstrap, task_topic, journal_topic, group, count = sys.argv[1:6]
count = int(count)

consumer = Consumer({
    "bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
    "enable.auto.commit": False, "session.timeout.ms": 6000, "heartbeat.interval.ms": 500,
})
producer = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random", "acks": "all"})
consumer.subscribe([task_topic])

answered = 0
deadline = time.time() + 60
while answered < count and time.time() < deadline:
    message = consumer.poll(0.5)
    if message is None or message.error():
        continue
    task = json.loads(message.value())
    answer = {"taskId": task["id"], "processInstanceId": task["processInstanceId"],
              "correlationId": task["correlationId"], "workerId": "python-confluent-kafka"}
    if task["correlationId"].startswith("fail-"):
        answer.update(type="failure", errorMessage="the Python worker gives up", errorDetails="no retries", retries=0)
    elif task["correlationId"].startswith("error-"):
        answer.update(type="bpmnError", errorCode="REJECTED", errorMessage="rejected by Python")
    else:
        answer.update(type="complete", data={"worker": "python", "amount": task["variables"].get("amount")},
                      variables={"handledBy": "python"})
    producer.produce(journal_topic, key=task["correlationId"], value=json.dumps(answer))
    producer.flush(10)
    consumer.commit(message=message, asynchronous=False)
    answered += 1
    print("answered", task["correlationId"], answer["type"], flush=True)

consumer.close()
sys.exit(0 if answered == count else 1)
