"""Runs BPMN processes on SpiffWorkflow for Baton's differential test (issue 8).

Reads cases as JSON lines from the file named on the command line:
  {"name": ..., "bpmn": <XML in Spiff's dialect>, "process": <process id>,
   "variables": {...}, "policy": <int>}
and writes one JSON line per case to standard output:
  {"name": ..., "trace": [[waiting task ids], ...], "status": "completed" | "active",
   "incidents": [element ids], "completed": [element ids], "error": <text or null>}

Waiting tasks are the ready user tasks. Each round the runner completes the one at
index (policy * 7 + round * 13) % count of the sorted ids, the same choice the Swift side
makes, so both engines complete tasks in the same order while they agree.
"""
import json
import sys

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.util.task import TaskState

MAX_ROUNDS = 200


def advance(workflow):
    """Runs engine steps until none is left; a failing script leaves its task in ERROR
    (Baton's incident) and the other tokens go on."""
    for _ in range(1000):
        try:
            workflow.do_engine_steps()
            return
        except WorkflowException:
            continue


def run(case):
    parser = BpmnParser()
    parser.add_bpmn_xml(etree.fromstring(case["bpmn"].encode()), filename=case["name"] + ".bpmn")
    workflow = BpmnWorkflow(parser.get_spec(case["process"]), parser.get_subprocess_specs(case["process"]))
    for task in workflow.get_tasks(state=TaskState.READY):
        task.set_data(**case["variables"])
    advance(workflow)
    trace = []
    for round_number in range(MAX_ROUNDS):
        # A terminate end event completes the workflow but leaves the tasks of embedded
        # sub-processes ready (Spiff's deviation): a completed workflow has nothing to do.
        if workflow.is_completed():
            break
        ready = sorted(workflow.get_tasks(state=TaskState.READY, manual=True), key=lambda t: t.task_spec.bpmn_id)
        if not ready:
            break
        trace.append([t.task_spec.bpmn_id for t in ready])
        chosen = ready[(case["policy"] * 7 + round_number * 13) % len(ready)]
        chosen.run()
        advance(workflow)
    def ids(state):
        return sorted(t.task_spec.bpmn_id for t in workflow.get_tasks(state=state) if t.task_spec.bpmn_id)
    return {
        "name": case["name"],
        "trace": trace,
        "status": "completed" if workflow.is_completed() else "active",
        "incidents": ids(TaskState.ERROR),
        "completed": ids(TaskState.COMPLETED),
        "error": None,
    }


def main():
    with open(sys.argv[1], encoding="utf-8") as cases:
        for line in cases:
            case = json.loads(line)
            try:
                result = run(case)
            except Exception as error:  # reported per case; the Swift side fails the test with it
                result = {"name": case["name"], "error": f"{type(error).__name__}: {error}"}
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
