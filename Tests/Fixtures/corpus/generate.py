#!/usr/bin/env python3
"""Writes the BPMN corpus of issue 13 (Tests/Fixtures/corpus/*.bpmn).

Each pattern below is one process (sometimes with a called process), written in three
styles: Camunda Modeler 5 with the Camunda 7 template (camunda: extensions, JUEL), Camunda
Modeler 5 with the Camunda 8 template (zeebe: extensions, FEEL), and the MIWG suite's
style (a `semantic:` prefix, names on every element, the MIWG exporter attributes, Camunda 7
extensions so that it runs). Every file carries BPMNDI (shapes and edges) and a comment
`<!-- corpus: {...} -->` that tells CorpusTests how to drive it to completion: the start
variables, and what the workers answer (task results, BPMN errors). CorpusTests runs them
all; this script only writes them. Run it from anywhere: python3 generate.py
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


class Node:
    def __init__(self, kind, id, name=None, **kw):
        self.kind, self.id, self.name = kind, id, name
        self.kw = kw
        self.children = kw.get("children")  # a Scope for sub-processes


class Scope:
    def __init__(self):
        self.nodes, self.flows = [], []

    def add(self, kind, id, name=None, **kw):
        node = Node(kind, id, name, **kw)
        self.nodes.append(node)
        return id

    def flow(self, source, target, cond=None, id=None, default=False):
        fid = id or f"Flow_{source}_{target}"
        self.flows.append(dict(id=fid, source=source, target=target, cond=cond, default=default))
        return fid

    def chain(self, *ids):
        for a, b in zip(ids, ids[1:]):
            self.flow(a, b)


class Process(Scope):
    def __init__(self, pid, name):
        super().__init__()
        self.pid, self.pname = pid, name


class Model:
    """One file: processes plus the messages, signals, errors and escalations they name."""

    def __init__(self, name, description):
        self.name, self.description = name, description
        self.processes, self.messages, self.signals, self.errors, self.escalations = [], [], [], [], []
        self.drive = {"variables": {}, "answers": {}}

    def process(self, pid, name):
        p = Process(pid, name)
        self.processes.append(p)
        return p


# ---------------------------------------------------------------------------------------
# Styles: how each construct is written.

class Style:
    def __init__(self, key, prefix, dialect):
        self.key, self.p, self.dialect = key, prefix, dialect

    def cond(self, feel, juel):
        return f"={feel}" if self.dialect == "c8" else "${" + juel + "}"

    def ident(self, id):
        return id


C7 = Style("c7", "bpmn", "c7")
C8 = Style("c8", "bpmn", "c8")
MIWG = Style("miwg", "semantic", "c7")


def esc(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def render_node(n, st, out, indent):
    p, d = st.p, st.dialect
    kw = n.kw
    attrs = [f'id="{n.id}"']
    name = n.name or (n.id.replace("_", " ") if st.key == "miwg" else None)
    if name:
        attrs.append(f'name="{esc(name)}"')
    ext, body = [], []
    tag = n.kind
    if kw.get("topic") and n.kind in ("serviceTask", "sendTask", "businessRuleTask", "endEvent", "intermediateThrowEvent"):
        if d == "c8":
            ext.append(f'<zeebe:taskDefinition type="{kw["topic"]}" retries="{kw.get("retries", 3)}" />')
        else:
            attrs += ['camunda:type="external"', f'camunda:topic="{kw["topic"]}"']
    if n.kind == "userTask":
        if d == "c8":
            ext.append('<zeebe:assignmentDefinition assignee="demo" />')
        else:
            attrs.append('camunda:assignee="demo"')
    if n.kind == "scriptTask":
        if d == "c8":
            ext.append(f'<zeebe:script expression="={esc(kw["feel"])}" resultVariable="{kw["result"]}" />')
        else:
            attrs += ['scriptFormat="juel"', f'camunda:resultVariable="{kw["result"]}"']
            body.append(f'<{p}:script>{esc("${" + kw["juel"] + "}")}</{p}:script>')
    if "outputs" in kw:  # {target: (feel, juel)}
        if d == "c8":
            ext.append("<zeebe:ioMapping>" + "".join(f'<zeebe:output source="={esc(f)}" target="{t}" />' for t, (f, _) in kw["outputs"].items()) + "</zeebe:ioMapping>")
        else:
            ext.append("<camunda:inputOutput>" + "".join(f'<camunda:outputParameter name="{t}">{esc("${" + j + "}")}</camunda:outputParameter>' for t, (_, j) in kw["outputs"].items()) + "</camunda:inputOutput>")
    if n.kind == "callActivity":
        if d == "c8":
            ext.append(f'<zeebe:calledElement processId="{kw["called"]}" propagateAllChildVariables="true" />')
        else:
            attrs.append(f'calledElement="{kw["called"]}"')
            ext.append('<camunda:in variables="all" /><camunda:out variables="all" />')
    if n.kind in ("receiveTask",):
        attrs.append(f'messageRef="{kw["message"]}"')
    if n.kind == "sendTask" and not kw.get("topic"):
        attrs.append(f'messageRef="{kw["message"]}"')
    if n.kind == "boundaryEvent":
        attrs.append(f'attachedToRef="{kw["attached"]}"')
        if not kw.get("interrupting", True):
            attrs.append('cancelActivity="false"')
    if n.kind == "startEvent" and kw.get("interrupting") is False:
        attrs.append('isInterrupting="false"')
    if n.kind == "subProcess" and kw.get("triggered"):
        attrs.append('triggeredByEvent="true"')
    if "default" in kw:
        attrs.append(f'default="{kw["default"]}"')
    event = kw.get("event")
    if event:
        what, arg = event
        if what == "message":
            body.append(f'<{p}:messageEventDefinition messageRef="{arg}" />')
        elif what == "signal":
            body.append(f'<{p}:signalEventDefinition signalRef="{arg}" />')
        elif what == "error":
            body.append(f'<{p}:errorEventDefinition errorRef="{arg}" />' if arg else f"<{p}:errorEventDefinition />")
        elif what == "escalation":
            body.append(f'<{p}:escalationEventDefinition escalationRef="{arg}" />')
        elif what == "terminate":
            body.append(f"<{p}:terminateEventDefinition />")
        elif what == "link":
            body.append(f'<{p}:linkEventDefinition name="{arg}" />')
        elif what in ("timeDuration", "timeDate", "timeCycle"):
            body.append(f'<{p}:timerEventDefinition><{p}:{what} xsi:type="{p}:tFormalExpression">{arg}</{p}:{what}></{p}:timerEventDefinition>')
    loop = kw.get("loop")
    if loop:
        seq = ' isSequential="true"' if loop.get("sequential") else ""
        if d == "c8":
            out_attrs = f' outputCollection="{loop["output"]}" outputElement="={loop["element"]}"' if loop.get("output") else ""
            body.insert(0, f'<{p}:multiInstanceLoopCharacteristics{seq}><{p}:extensionElements><zeebe:loopCharacteristics inputCollection="={loop["collection"]}" inputElement="item"{out_attrs} /></{p}:extensionElements></{p}:multiInstanceLoopCharacteristics>')
        else:
            body.insert(0, f'<{p}:multiInstanceLoopCharacteristics{seq} camunda:collection="${{{loop["collection"]}}}" camunda:elementVariable="item" />')
    lines = [f"{indent}<{p}:{tag} {' '.join(attrs)}>"]
    if ext:
        lines.append(f"{indent}  <{p}:extensionElements>{''.join(ext)}</{p}:extensionElements>")
    for f in kw.get("_incoming", []):
        lines.append(f"{indent}  <{p}:incoming>{f}</{p}:incoming>")
    for f in kw.get("_outgoing", []):
        lines.append(f"{indent}  <{p}:outgoing>{f}</{p}:outgoing>")
    for b in body:
        lines.append(f"{indent}  {b}")
    if n.children:
        render_scope(n.children, st, lines, indent + "  ")
    lines.append(f"{indent}</{p}:{tag}>")
    out.extend(lines)


def render_scope(scope, st, out, indent):
    p = st.p
    for n in scope.nodes:
        n.kw["_incoming"] = [f["id"] for f in scope.flows if f["target"] == n.id]
        n.kw["_outgoing"] = [f["id"] for f in scope.flows if f["source"] == n.id]
        render_node(n, st, out, indent)
    for f in scope.flows:
        if f["cond"]:
            feel, juel = f["cond"]
            out.append(f'{indent}<{p}:sequenceFlow id="{f["id"]}" sourceRef="{f["source"]}" targetRef="{f["target"]}">'
                       f'<{p}:conditionExpression xsi:type="{p}:tFormalExpression">{esc(st.cond(feel, juel))}</{p}:conditionExpression></{p}:sequenceFlow>')
        else:
            out.append(f'{indent}<{p}:sequenceFlow id="{f["id"]}" sourceRef="{f["source"]}" targetRef="{f["target"]}" />')


# ---------------------------------------------------------------------------------------
# Layout: ranks left to right within each scope, rows top to bottom; sub-processes are
# expanded around their children; boundary events sit on their activity's lower edge.

SIZES = {"startEvent": (36, 36), "endEvent": (36, 36), "intermediateCatchEvent": (36, 36), "intermediateThrowEvent": (36, 36),
         "boundaryEvent": (36, 36), "exclusiveGateway": (50, 50), "parallelGateway": (50, 50), "inclusiveGateway": (50, 50),
         "eventBasedGateway": (50, 50)}


def layout(scope, x0, y0, shapes):
    """Places the nodes of `scope` with its top-left at (x0, y0); returns (width, height)."""
    ids = [n.id for n in scope.nodes if n.kind != "boundaryEvent" and not n.kw.get("triggered")]
    incoming = {i: [f["source"] for f in scope.flows if f["target"] == i and f["source"] in ids] for i in ids}
    rank = {}

    def rank_of(i, seen=()):
        if i in rank:
            return rank[i]
        if i in seen:
            return 0
        preds = [s for s in incoming[i] if s in ids]
        r = 0 if not preds else 1 + max(rank_of(s, seen + (i,)) for s in preds)
        rank[i] = r
        return r

    # Nodes reached from boundary events rank after their activity.
    for n in scope.nodes:
        if n.id in ids:
            rank_of(n.id)
    boundary_targets = {}
    for n in scope.nodes:
        if n.kind == "boundaryEvent":
            for f in scope.flows:
                if f["source"] == n.id:
                    boundary_targets[f["target"]] = n.kw["attached"]
    rows = {}
    sizes = {}
    for n in scope.nodes:
        if n.id not in ids:
            continue
        if n.children:
            w, h = layout(n.children, 0, 0, {})
            sizes[n.id] = (max(w + 60, 350), max(h + 60, 200))
        else:
            sizes[n.id] = SIZES.get(n.kind, (100, 80))
    columns = {}
    for i in ids:
        columns.setdefault(rank[i], []).append(i)
    col_x, x = {}, x0 + 40
    for r in sorted(columns):
        col_x[r] = x
        x += max(sizes[i][0] for i in columns[r]) + 60
    row_y = {}
    y_cursor = {}
    max_y = y0
    for r in sorted(columns):
        y = y0 + 40
        for i in columns[r]:
            w, h = sizes[i]
            if i in boundary_targets and boundary_targets[i] in shapes:
                y = max(y, shapes[boundary_targets[i]][1] + shapes[boundary_targets[i]][3] + 60)
            shapes[i] = (col_x[r], y, w, h)
            n = next(n for n in scope.nodes if n.id == i)
            if n.children:
                layout(n.children, col_x[r], y, shapes)
            y += h + 60
            max_y = max(max_y, y)
    for n in scope.nodes:
        if n.kind == "boundaryEvent" and n.kw["attached"] in shapes:
            ax, ay, aw, ah = shapes[n.kw["attached"]]
            k = sum(1 for m in scope.nodes if m.kind == "boundaryEvent" and m.kw["attached"] == n.kw["attached"] and scope.nodes.index(m) < scope.nodes.index(n))
            shapes[n.id] = (ax + aw - 60 - 46 * k, ay + ah - 18, 36, 36)
    # Event sub-processes go below everything else.
    for n in scope.nodes:
        if n.kw.get("triggered"):
            w, h = layout(n.children, 0, 0, {})
            w, h = max(w + 60, 350), max(h + 40, 180)
            shapes[n.id] = (x0 + 40, max_y, w, h)
            layout(n.children, x0 + 40, max_y, shapes)
            max_y += h + 40
            x = max(x, x0 + 80 + w)
    return (x - x0, max_y - y0)


def edges(scope, shapes, out):
    for f in scope.flows:
        sx, sy, sw, sh = shapes[f["source"]]
        tx, ty, tw, th = shapes[f["target"]]
        a = (sx + sw, sy + sh // 2)
        if any(n.id == f["source"] and n.kind == "boundaryEvent" for n in scope.nodes):
            a = (sx + sw // 2, sy + sh)
        b = (tx, ty + th // 2)
        points = [a, b] if a[1] == b[1] else [a, ((a[0] + b[0]) // 2, a[1]), ((a[0] + b[0]) // 2, b[1]), b]
        out.append(f'      <bpmndi:BPMNEdge id="{f["id"]}_di" bpmnElement="{f["id"]}">'
                   + "".join(f'<di:waypoint x="{px}" y="{py}" />' for px, py in points) + "</bpmndi:BPMNEdge>")
    for n in scope.nodes:
        if n.children:
            edges(n.children, shapes, out)


def shapes_xml(scope, shapes, out):
    for n in scope.nodes:
        x, y, w, h = shapes[n.id]
        expanded = ' isExpanded="true"' if n.children else ""
        marker = ' isMarkerVisible="true"' if n.kind == "exclusiveGateway" else ""
        out.append(f'      <bpmndi:BPMNShape id="{n.id}_di" bpmnElement="{n.id}"{expanded}{marker}><dc:Bounds x="{x}" y="{y}" width="{w}" height="{h}" /></bpmndi:BPMNShape>')
        if n.children:
            shapes_xml(n.children, shapes, out)


def render(model, st):
    p = st.p
    ns = {
        "c7": 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:modeler="http://camunda.org/schema/modeler/1.0" exporter="Camunda Modeler" exporterVersion="5.29.0" modeler:executionPlatform="Camunda Platform" modeler:executionPlatformVersion="7.22.0"',
        "c8": 'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:modeler="http://camunda.org/schema/modeler/1.0" exporter="Camunda Modeler" exporterVersion="5.29.0" modeler:executionPlatform="Camunda Cloud" modeler:executionPlatformVersion="8.6.0"',
        "miwg": 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" exporter="Baton corpus (MIWG style)" exporterVersion="1.0" expressionLanguage="http://www.w3.org/1999/XPath" typeLanguage="http://www.w3.org/2001/XMLSchema"',
    }[st.key]
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f"<!-- corpus: {json.dumps(model.drive, sort_keys=True)} -->",
             f"<!-- {model.description} -->",
             f'<{p}:definitions xmlns:{p}="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
             f'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
             f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" {ns} id="Definitions_{model.name.replace("-", "_")}" targetNamespace="http://bpmn.io/schema/bpmn">']
    for mid, name, key in model.messages:
        if st.dialect == "c8" and key:
            lines.append(f'  <{p}:message id="{mid}" name="{name}"><{p}:extensionElements><zeebe:subscription correlationKey="={key}" /></{p}:extensionElements></{p}:message>')
        else:
            lines.append(f'  <{p}:message id="{mid}" name="{name}" />')
    for sid, name in model.signals:
        lines.append(f'  <{p}:signal id="{sid}" name="{name}" />')
    for eid, code in model.errors:
        lines.append(f'  <{p}:error id="{eid}" name="{code}" errorCode="{code}" />')
    for eid, code in model.escalations:
        lines.append(f'  <{p}:escalation id="{eid}" name="{code}" escalationCode="{code}" />')
    for proc in model.processes:
        lines.append(f'  <{p}:process id="{proc.pid}" name="{esc(proc.pname)}" isExecutable="true">')
        render_scope(proc, st, lines, "    ")
        lines.append(f"  </{p}:process>")
    for proc in model.processes:
        shapes = {}
        layout(proc, 120, 60, shapes)
        lines.append(f'  <bpmndi:BPMNDiagram id="BPMNDiagram_{proc.pid}">')
        lines.append(f'    <bpmndi:BPMNPlane id="BPMNPlane_{proc.pid}" bpmnElement="{proc.pid}">')
        shapes_xml(proc, shapes, lines)
        edges(proc, shapes, lines)
        lines.append("    </bpmndi:BPMNPlane>")
        lines.append("  </bpmndi:BPMNDiagram>")
    lines.append(f"</{p}:definitions>")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------
# The patterns. Each returns a Model; ids follow Camunda Modeler's habits (Activity_x,
# Gateway_x, Event_x) so the files look like the ones people draw.

PATTERNS = []


def pattern(f):
    PATTERNS.append(f)
    return f


def simple(name, desc, pid=None):
    m = Model(name, desc)
    return m, m.process(pid or name.replace("-", "_"), desc.split(":")[0])


@pattern
def sequence_of_tasks():
    out = []
    for n in (1, 3, 6):
        m, p = simple(f"sequence-{n}", f"Sequence: {n} external tasks one after another")
        ids = ["StartEvent_1"] + [p.add("serviceTask", f"Activity_step{i}", f"Step {i}", topic=f"step-{i}") for i in range(1, n + 1)] + [p.add("endEvent", "Event_end", "Done")]
        p.nodes.insert(0, Node("startEvent", "StartEvent_1", "Order received"))
        p.chain(*ids)
        out.append(m)
    return out


@pattern
def exclusive_choice():
    out = []
    for amount, taken in ((50, "small"), (5000, "large")):
        m, p = simple(f"exclusive-{taken}", f"Exclusive gateway: an amount of {amount} takes the {taken} branch")
        m.drive["variables"] = {"amount": amount}
        p.add("startEvent", "StartEvent_1", "Start")
        p.add("exclusiveGateway", "Gateway_amount", "Amount?", default="Flow_small")
        p.add("serviceTask", "Activity_auto", "Approve automatically", topic="auto-approve")
        p.add("userTask", "Activity_review", "Review by hand")
        p.add("exclusiveGateway", "Gateway_merge")
        p.add("endEvent", "Event_end", "Done")
        p.flow("StartEvent_1", "Gateway_amount")
        p.flow("Gateway_amount", "Activity_auto", id="Flow_small")
        p.flow("Gateway_amount", "Activity_review", cond=("amount > 1000", "amount > 1000"))
        p.flow("Activity_auto", "Gateway_merge")
        p.flow("Activity_review", "Gateway_merge")
        p.flow("Gateway_merge", "Event_end")
        out.append(m)
    return out


@pattern
def parallel_split_join():
    out = []
    for width in (2, 4):
        m, p = simple(f"parallel-{width}", f"Parallel gateway: {width} branches, then a join")
        p.add("startEvent", "StartEvent_1")
        p.add("parallelGateway", "Gateway_fork")
        p.add("parallelGateway", "Gateway_join")
        p.add("endEvent", "Event_end")
        p.flow("StartEvent_1", "Gateway_fork")
        for i in range(width):
            t = p.add("serviceTask", f"Activity_branch{i}", f"Branch {i}", topic=f"branch-{i}")
            p.flow("Gateway_fork", t)
            p.flow(t, "Gateway_join")
        p.flow("Gateway_join", "Event_end")
        out.append(m)
    return out


@pattern
def inclusive_gateway():
    m, p = simple("inclusive", "Inclusive gateway: the branches whose conditions hold, joined again")
    m.drive["variables"] = {"express": True, "gift": False, "insured": True}
    p.add("startEvent", "StartEvent_1")
    p.add("inclusiveGateway", "Gateway_options", "Options?")
    p.add("inclusiveGateway", "Gateway_joined")
    p.add("endEvent", "Event_end")
    p.flow("StartEvent_1", "Gateway_options")
    for option in ("express", "gift", "insured"):
        t = p.add("serviceTask", f"Activity_{option}", f"Add {option}", topic=f"add-{option}")
        p.flow("Gateway_options", t, cond=(option, option))
        p.flow(t, "Gateway_joined")
    p.flow("Gateway_joined", "Event_end")
    return [m]


@pattern
def embedded_subprocess():
    out = []
    for depth in (1, 2):
        m, p = simple(f"subprocess-depth-{depth}", f"Embedded sub-process nested {depth} deep")

        def inner(level):
            s = Scope()
            s.add("startEvent", f"Event_in{level}")
            if level < depth:
                s.add("subProcess", f"Activity_sub{level + 1}", f"Level {level + 1}", children=inner(level + 1))
                body = f"Activity_sub{level + 1}"
            else:
                body = s.add("serviceTask", f"Activity_work{level}", "Work", topic="inner-work")
            s.add("endEvent", f"Event_out{level}")
            s.chain(f"Event_in{level}", body, f"Event_out{level}")
            return s

        p.add("startEvent", "StartEvent_1")
        p.add("subProcess", "Activity_sub1", "Level 1", children=inner(1))
        p.add("endEvent", "Event_end")
        p.chain("StartEvent_1", "Activity_sub1", "Event_end")
        out.append(m)
    return out


@pattern
def multi_instance():
    out = []
    for sequential in (False, True):
        kind = "sequential" if sequential else "parallel"
        m, p = simple(f"multi-instance-{kind}", f"Multi-instance ({kind}) over the order lines, results collected")
        m.drive["variables"] = {"lines": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 2}, {"sku": "C", "qty": 3}]}
        m.drive["answers"]["Activity_reserve"] = {"variables": {"reserved": True}}
        p.add("startEvent", "StartEvent_1")
        p.add("serviceTask", "Activity_reserve", "Reserve line", topic="reserve-line",
              loop={"sequential": sequential, "collection": "lines", "output": "reservations", "element": "reserved"})
        p.add("endEvent", "Event_end")
        p.chain("StartEvent_1", "Activity_reserve", "Event_end")
        out.append(m)
    m, p = simple("multi-instance-subprocess", "Multi-instance sub-process: each item runs two steps")
    m.drive["variables"] = {"parcels": ["p1", "p2"]}
    inner = Scope()
    inner.add("startEvent", "Event_parcelIn")
    inner.add("serviceTask", "Activity_label", "Print label", topic="print-label")
    inner.add("serviceTask", "Activity_pickup", "Book pickup", topic="book-pickup")
    inner.add("endEvent", "Event_parcelOut")
    inner.chain("Event_parcelIn", "Activity_label", "Activity_pickup", "Event_parcelOut")
    p.add("startEvent", "StartEvent_1")
    p.add("subProcess", "Activity_parcels", "Each parcel", children=inner, loop={"collection": "parcels"})
    p.add("endEvent", "Event_end")
    p.chain("StartEvent_1", "Activity_parcels", "Event_end")
    out.append(m)
    return out


@pattern
def call_activity():
    out = []
    for twice in (False, True):
        m = Model("call-activity" + ("-chain" if twice else ""), "Call activity: the parent calls a child process" + (" that calls a grandchild" if twice else ""))
        parent = m.process("parent", "Parent")
        parent.add("startEvent", "StartEvent_1")
        parent.add("callActivity", "Activity_callChild", "Run child", called="child")
        parent.add("serviceTask", "Activity_after", "After the child", topic="after-child")
        parent.add("endEvent", "Event_end")
        parent.chain("StartEvent_1", "Activity_callChild", "Activity_after", "Event_end")
        child = m.process("child", "Child")
        child.add("startEvent", "Event_childStart")
        child.add("serviceTask", "Activity_childWork", "Child work", topic="child-work")
        child.add("endEvent", "Event_childEnd")
        if twice:
            child.add("callActivity", "Activity_callGrandchild", "Run grandchild", called="grandchild")
            child.chain("Event_childStart", "Activity_childWork", "Activity_callGrandchild", "Event_childEnd")
            g = m.process("grandchild", "Grandchild")
            g.add("startEvent", "Event_gStart")
            g.add("serviceTask", "Activity_gWork", "Grandchild work", topic="grandchild-work")
            g.add("endEvent", "Event_gEnd")
            g.chain("Event_gStart", "Activity_gWork", "Event_gEnd")
        else:
            child.chain("Event_childStart", "Activity_childWork", "Event_childEnd")
        m.drive["start"] = "parent"
        out.append(m)
    return out


@pattern
def error_boundary():
    out = []
    for thrown in (True, False):
        m, p = simple("error-boundary-" + ("caught" if thrown else "passed"), "Error boundary: the payment worker " + ("throws PAYMENT_DECLINED" if thrown else "succeeds"))
        m.errors.append(("Error_declined", "PAYMENT_DECLINED"))
        if thrown:
            m.drive["answers"]["Activity_charge"] = {"error": "PAYMENT_DECLINED"}
        p.add("startEvent", "StartEvent_1")
        p.add("serviceTask", "Activity_charge", "Charge card", topic="charge-card")
        p.add("boundaryEvent", "Event_declined", "Declined", attached="Activity_charge", event=("error", "Error_declined"))
        p.add("serviceTask", "Activity_notify", "Tell the customer", topic="notify-customer")
        p.add("endEvent", "Event_paid", "Paid")
        p.add("endEvent", "Event_cancelled", "Cancelled")
        p.chain("StartEvent_1", "Activity_charge", "Event_paid")
        p.chain("Event_declined", "Activity_notify", "Event_cancelled")
        out.append(m)
    return out


@pattern
def error_end_in_subprocess():
    m, p = simple("error-end-event", "Error end event inside a sub-process, caught on its boundary")
    m.errors.append(("Error_stock", "OUT_OF_STOCK"))
    inner = Scope()
    inner.add("startEvent", "Event_in")
    inner.add("endEvent", "Event_fail", "Out of stock", event=("error", "Error_stock"))
    inner.chain("Event_in", "Event_fail")
    p.add("startEvent", "StartEvent_1")
    p.add("subProcess", "Activity_pick", "Pick items", children=inner)
    p.add("boundaryEvent", "Event_caught", attached="Activity_pick", event=("error", "Error_stock"))
    p.add("serviceTask", "Activity_backorder", "Back-order", topic="back-order")
    p.add("endEvent", "Event_picked")
    p.add("endEvent", "Event_backordered")
    p.chain("StartEvent_1", "Activity_pick", "Event_picked")
    p.chain("Event_caught", "Activity_backorder", "Event_backordered")
    return [m]


@pattern
def timers():
    out = []
    m, p = simple("timer-intermediate", "Intermediate timer: wait a day, then remind")
    p.add("startEvent", "StartEvent_1")
    p.add("intermediateCatchEvent", "Event_wait", "One day", event=("timeDuration", "P1D"))
    p.add("serviceTask", "Activity_remind", "Remind", topic="send-reminder")
    p.add("endEvent", "Event_end")
    p.chain("StartEvent_1", "Event_wait", "Activity_remind", "Event_end")
    out.append(m)
    m, p = simple("timer-boundary-interrupting", "Interrupting timer boundary: an approval that times out escalates")
    m.drive["prefer"] = "timers"
    p.add("startEvent", "StartEvent_1")
    p.add("userTask", "Activity_approve", "Approve")
    p.add("boundaryEvent", "Event_timeout", "3 days", attached="Activity_approve", event=("timeDuration", "P3D"))
    p.add("serviceTask", "Activity_escalate", "Escalate", topic="escalate")
    p.add("endEvent", "Event_approved")
    p.add("endEvent", "Event_escalated")
    p.chain("StartEvent_1", "Activity_approve", "Event_approved")
    p.chain("Event_timeout", "Activity_escalate", "Event_escalated")
    out.append(m)
    m, p = simple("timer-boundary-cycle", "Non-interrupting timer cycle on a task: reminders every hour, three times")
    m.drive["prefer"] = "timers"
    p.add("startEvent", "StartEvent_1")
    p.add("userTask", "Activity_sign", "Sign the contract")
    p.add("boundaryEvent", "Event_hourly", "Every hour", attached="Activity_sign", interrupting=False, event=("timeCycle", "R3/PT1H"))
    p.add("serviceTask", "Activity_nudge", "Nudge", topic="nudge")
    p.add("endEvent", "Event_signed")
    p.add("endEvent", "Event_nudged")
    p.chain("StartEvent_1", "Activity_sign", "Event_signed")
    p.chain("Event_hourly", "Activity_nudge", "Event_nudged")
    out.append(m)
    m, p = simple("timer-date", "Timer with a date: waits until a fixed instant (already past)")
    p.add("startEvent", "StartEvent_1")
    p.add("intermediateCatchEvent", "Event_date", "Launch day", event=("timeDate", "2026-01-01T09:00:00Z"))
    p.add("endEvent", "Event_end")
    p.chain("StartEvent_1", "Event_date", "Event_end")
    out.append(m)
    return out


@pattern
def timer_start():
    out = []
    for cycle, label in (("R2/PT1H", "iso"), ("0 0 6 * * MON-FRI", "cron")):
        m, p = simple(f"timer-start-{label}", f"Timer start event ({cycle}): a report each time it fires")
        m.drive["start"] = "timer"
        p.add("startEvent", "StartEvent_tick", "Report time", event=("timeCycle", cycle))
        p.add("serviceTask", "Activity_report", "Build report", topic="build-report")
        p.add("endEvent", "Event_end")
        p.chain("StartEvent_tick", "Activity_report", "Event_end")
        out.append(m)
    return out


@pattern
def messages():
    out = []
    m, p = simple("message-catch", "Intermediate message catch: the order waits for its payment")
    m.messages.append(("Message_paid", "payment-received", "orderId"))
    m.drive["variables"] = {"orderId": "order-1"}
    p.add("startEvent", "StartEvent_1")
    p.add("intermediateCatchEvent", "Event_paid", "Payment received", event=("message", "Message_paid"))
    p.add("serviceTask", "Activity_ship", "Ship", topic="ship")
    p.add("endEvent", "Event_end")
    p.chain("StartEvent_1", "Event_paid", "Activity_ship", "Event_end")
    out.append(m)
    m, p = simple("message-receive-task", "Receive task: wait for the carrier's confirmation")
    m.messages.append(("Message_confirmed", "carrier-confirmed", "orderId"))
    m.drive["variables"] = {"orderId": "order-2"}
    p.add("startEvent", "StartEvent_1")
    p.add("receiveTask", "Activity_wait", "Wait for carrier", message="Message_confirmed")
    p.add("endEvent", "Event_end")
    p.chain("StartEvent_1", "Activity_wait", "Event_end")
    out.append(m)
    m, p = simple("message-start", "Message start event: an incoming order starts the process")
    m.messages.append(("Message_order", "order-placed", None))
    m.drive["start"] = "message:order-placed"
    p.add("startEvent", "StartEvent_msg", "Order placed", event=("message", "Message_order"))
    p.add("serviceTask", "Activity_check", "Check order", topic="check-order")
    p.add("endEvent", "Event_end")
    p.chain("StartEvent_msg", "Activity_check", "Event_end")
    out.append(m)
    m, p = simple("message-boundary", "Non-interrupting message boundary: a change request while packing")
    m.messages.append(("Message_change", "change-requested", "orderId"))
    m.drive["variables"] = {"orderId": "order-3"}
    m.drive["prefer"] = "messages"
    p.add("startEvent", "StartEvent_1")
    p.add("userTask", "Activity_pack", "Pack")
    p.add("boundaryEvent", "Event_change", "Change requested", attached="Activity_pack", interrupting=False, event=("message", "Message_change"))
    p.add("serviceTask", "Activity_apply", "Apply change", topic="apply-change")
    p.add("endEvent", "Event_packed")
    p.add("endEvent", "Event_changed")
    p.chain("StartEvent_1", "Activity_pack", "Event_packed")
    p.chain("Event_change", "Activity_apply", "Event_changed")
    out.append(m)
    m, p = simple("event-based-gateway", "Event-based gateway: the payment or a timeout, whichever comes first")
    m.messages.append(("Message_payment", "payment", "orderId"))
    m.drive["variables"] = {"orderId": "order-4"}
    m.drive["prefer"] = "messages"
    p.add("startEvent", "StartEvent_1")
    p.add("eventBasedGateway", "Gateway_wait", "Wait")
    p.add("intermediateCatchEvent", "Event_payment", "Payment", event=("message", "Message_payment"))
    p.add("intermediateCatchEvent", "Event_timeout", "14 days", event=("timeDuration", "P14D"))
    p.add("serviceTask", "Activity_fulfil", "Fulfil", topic="fulfil")
    p.add("serviceTask", "Activity_cancel", "Cancel", topic="cancel-order")
    p.add("endEvent", "Event_fulfilled")
    p.add("endEvent", "Event_cancelled")
    p.chain("StartEvent_1", "Gateway_wait")
    p.chain("Gateway_wait", "Event_payment", "Activity_fulfil", "Event_fulfilled")
    p.chain("Gateway_wait", "Event_timeout", "Activity_cancel", "Event_cancelled")
    out.append(m)
    m, p = simple("message-throw", "Send task and message end event: the order confirms to the shop")
    m.messages.append(("Message_confirm", "order-confirmed", None))
    p.add("startEvent", "StartEvent_1")
    p.add("sendTask", "Activity_send", "Send confirmation", topic="send-confirmation")
    p.add("endEvent", "Event_notified", "Notified", event=("message", "Message_confirm"), topic="notify-shop")
    p.chain("StartEvent_1", "Activity_send", "Event_notified")
    out.append(m)
    return out


@pattern
def signals():
    out = []
    m, p = simple("signal-between-branches", "Signals: one branch throws, the other waits for it")
    m.signals.append(("Signal_ready", "stock-ready"))
    p.add("startEvent", "StartEvent_1")
    p.add("parallelGateway", "Gateway_fork")
    p.add("intermediateCatchEvent", "Event_ready", "Stock ready", event=("signal", "Signal_ready"))
    p.add("serviceTask", "Activity_restock", "Restock", topic="restock")
    p.add("intermediateThrowEvent", "Event_announce", "Announce", event=("signal", "Signal_ready"))
    p.add("parallelGateway", "Gateway_join")
    p.add("endEvent", "Event_end")
    p.chain("StartEvent_1", "Gateway_fork")
    p.chain("Gateway_fork", "Event_ready", "Gateway_join")
    p.chain("Gateway_fork", "Activity_restock", "Event_announce", "Gateway_join")
    p.chain("Gateway_join", "Event_end")
    out.append(m)
    m, p = simple("signal-start", "Signal start event: a broadcast starts the recall process")
    m.signals.append(("Signal_recall", "product-recall"))
    m.drive["start"] = "signal:product-recall"
    p.add("startEvent", "StartEvent_signal", "Recall announced", event=("signal", "Signal_recall"))
    p.add("serviceTask", "Activity_recall", "Contact customers", topic="contact-customers")
    p.add("endEvent", "Event_end", "Recalled", event=("signal", "Signal_recall_done"))
    m.signals.append(("Signal_recall_done", "recall-done"))
    p.chain("StartEvent_signal", "Activity_recall", "Event_end")
    out.append(m)
    m, p = simple("signal-boundary", "Interrupting signal boundary: a shutdown stops the batch")
    m.signals.append(("Signal_shutdown", "shutdown"))
    m.drive["prefer"] = "signals"
    p.add("startEvent", "StartEvent_1")
    p.add("userTask", "Activity_batch", "Run batch")
    p.add("boundaryEvent", "Event_shutdown", "Shutdown", attached="Activity_batch", event=("signal", "Signal_shutdown"))
    p.add("endEvent", "Event_done")
    p.add("endEvent", "Event_stopped", "Stopped", event=("terminate", None))
    p.chain("StartEvent_1", "Activity_batch", "Event_done")
    p.chain("Event_shutdown", "Event_stopped")
    out.append(m)
    return out


@pattern
def event_subprocesses():
    out = []
    for trigger in ("message", "timer", "error", "signal", "escalation"):
        interrupting = trigger in ("error", "timer")
        m, p = simple(f"event-subprocess-{trigger}", f"Event sub-process started by {'an' if trigger[0] in 'ae' else 'a'} {trigger} ({'interrupting' if interrupting else 'non-interrupting'})")
        p.add("startEvent", "StartEvent_1")
        main_task = p.add("userTask" if trigger in ("message", "timer", "signal") else "serviceTask", "Activity_main", "Main work", topic="main-work")
        p.add("endEvent", "Event_end")
        p.chain("StartEvent_1", main_task)
        if trigger == "escalation":
            m.escalations.append(("Escalation_late", "LATE"))
            p.add("intermediateThrowEvent", "Event_late", "Running late", event=("escalation", "Escalation_late"))
            p.chain(main_task, "Event_late", "Event_end")
        else:
            p.chain(main_task, "Event_end")
        inner = Scope()
        event = {"message": ("message", "Message_cancel"), "timer": ("timeDuration", "PT2H"), "error": ("error", "Error_fraud"),
                 "signal": ("signal", "Signal_audit"), "escalation": ("escalation", "Escalation_late")}[trigger]
        inner.add("startEvent", "Event_trigger", f"On {trigger}", event=event, interrupting=interrupting)
        inner.add("serviceTask", "Activity_handle", f"Handle {trigger}", topic=f"handle-{trigger}")
        inner.add("endEvent", "Event_handled")
        inner.chain("Event_trigger", "Activity_handle", "Event_handled")
        p.add("subProcess", "Activity_handler", f"On {trigger}", children=inner, triggered=True)
        if trigger == "message":
            m.messages.append(("Message_cancel", "cancel-requested", "orderId"))
            m.drive["variables"] = {"orderId": "order-5"}
            m.drive["prefer"] = "messages"
        if trigger == "timer":
            m.drive["prefer"] = "timers"
        if trigger == "error":
            m.errors.append(("Error_fraud", "FRAUD"))
            m.drive["answers"]["Activity_main"] = {"error": "FRAUD"}
        if trigger == "signal":
            m.signals.append(("Signal_audit", "audit"))
            m.drive["prefer"] = "signals"
        out.append(m)
    return out


@pattern
def escalation_boundary():
    m, p = simple("escalation-boundary", "Escalation thrown inside a sub-process, caught without interrupting it")
    m.escalations.append(("Escalation_vip", "VIP"))
    inner = Scope()
    inner.add("startEvent", "Event_in")
    inner.add("intermediateThrowEvent", "Event_vip", "VIP customer", event=("escalation", "Escalation_vip"))
    inner.add("serviceTask", "Activity_serve", "Serve", topic="serve")
    inner.add("endEvent", "Event_out")
    inner.chain("Event_in", "Event_vip", "Activity_serve", "Event_out")
    p.add("startEvent", "StartEvent_1")
    p.add("subProcess", "Activity_service", "Service", children=inner)
    p.add("boundaryEvent", "Event_caught", "VIP", attached="Activity_service", interrupting=False, event=("escalation", "Escalation_vip"))
    p.add("serviceTask", "Activity_manager", "Inform manager", topic="inform-manager")
    p.add("endEvent", "Event_end")
    p.add("endEvent", "Event_informed")
    p.chain("StartEvent_1", "Activity_service", "Event_end")
    p.chain("Event_caught", "Activity_manager", "Event_informed")
    return [m]


@pattern
def links_and_terminate():
    out = []
    m, p = simple("link-events", "Link events: a long process drawn on two rows")
    p.add("startEvent", "StartEvent_1")
    p.add("serviceTask", "Activity_first", "First half", topic="first-half")
    p.add("intermediateThrowEvent", "Event_toRow2", "To row 2", event=("link", "row2"))
    p.add("intermediateCatchEvent", "Event_row2", "Row 2", event=("link", "row2"))
    p.add("serviceTask", "Activity_second", "Second half", topic="second-half")
    p.add("endEvent", "Event_end")
    p.chain("StartEvent_1", "Activity_first", "Event_toRow2")
    p.chain("Event_row2", "Activity_second", "Event_end")
    out.append(m)
    m, p = simple("terminate-end", "Terminate end event: the fast branch ends the slow one")
    p.add("startEvent", "StartEvent_1")
    p.add("parallelGateway", "Gateway_fork")
    p.add("userTask", "Activity_slow", "Slow path")
    p.add("serviceTask", "Activity_fast", "Fast path", topic="fast-path")
    p.add("endEvent", "Event_slowEnd")
    p.add("endEvent", "Event_terminate", "Stop everything", event=("terminate", None))
    p.chain("StartEvent_1", "Gateway_fork")
    p.chain("Gateway_fork", "Activity_slow", "Event_slowEnd")
    p.chain("Gateway_fork", "Activity_fast", "Event_terminate")
    m.drive["answersFirst"] = ["Activity_fast"]
    out.append(m)
    return out


@pattern
def scripts_and_rules():
    out = []
    m, p = simple("script-task", "Script task: the total is computed by an expression, then routed")
    m.drive["variables"] = {"price": 30, "quantity": 4}
    p.add("startEvent", "StartEvent_1")
    p.add("scriptTask", "Activity_total", "Compute total", feel="price * quantity", juel="price * quantity", result="total")
    p.add("exclusiveGateway", "Gateway_total", "Total?", default="Flow_small")
    p.add("serviceTask", "Activity_big", "Big order", topic="big-order")
    p.add("endEvent", "Event_big")
    p.add("endEvent", "Event_small")
    p.chain("StartEvent_1", "Activity_total", "Gateway_total")
    p.flow("Gateway_total", "Activity_big", cond=("total >= 100", "total >= 100"))
    p.flow("Gateway_total", "Event_small", id="Flow_small")
    p.chain("Activity_big", "Event_big")
    out.append(m)
    m, p = simple("business-rule-task", "Business rule task as an external task: the decision comes back as a variable")
    m.drive["answers"]["Activity_decide"] = {"variables": {"risk": "low"}}
    p.add("startEvent", "StartEvent_1")
    p.add("businessRuleTask", "Activity_decide", "Decide risk", topic="decide-risk")
    p.add("exclusiveGateway", "Gateway_risk", default="Flow_manual")
    p.add("serviceTask", "Activity_auto", "Automatic", topic="automatic")
    p.add("userTask", "Activity_manual", "Manual check")
    p.add("endEvent", "Event_auto")
    p.add("endEvent", "Event_manual")
    p.chain("StartEvent_1", "Activity_decide", "Gateway_risk")
    p.flow("Gateway_risk", "Activity_auto", cond=('risk = "low"', "risk == 'low'"))
    p.flow("Gateway_risk", "Activity_manual", id="Flow_manual")
    p.chain("Activity_auto", "Event_auto")
    p.chain("Activity_manual", "Event_manual")
    out.append(m)
    m, p = simple("output-mappings", "Output mappings: the worker's answer is mapped into process variables")
    m.drive["answers"]["Activity_quote"] = {"variables": {"quote": {"price": 12.5, "currency": "EUR"}}}
    p.add("startEvent", "StartEvent_1")
    p.add("serviceTask", "Activity_quote", "Get quote", topic="get-quote", outputs={"price": ("quote.price", "quote.price")})
    p.add("exclusiveGateway", "Gateway_price", default="Flow_cheap")
    p.add("userTask", "Activity_approve", "Approve price")
    p.add("endEvent", "Event_end")
    p.chain("StartEvent_1", "Activity_quote", "Gateway_price")
    p.flow("Gateway_price", "Activity_approve", cond=("price > 10", "price > 10"))
    p.flow("Gateway_price", "Event_end", id="Flow_cheap")
    p.chain("Activity_approve", "Event_end")
    out.append(m)
    return out


@pattern
def loops_back():
    m, p = simple("retry-loop", "A loop back through an exclusive gateway until the check passes")
    m.drive["answers"]["Activity_check"] = {"variables": {"ok": True}}
    p.add("startEvent", "StartEvent_1")
    p.add("exclusiveGateway", "Gateway_again")
    p.add("serviceTask", "Activity_check", "Check", topic="check")
    p.add("exclusiveGateway", "Gateway_ok", default="Flow_retry")
    p.add("endEvent", "Event_end")
    p.chain("StartEvent_1", "Gateway_again", "Activity_check", "Gateway_ok")
    p.flow("Gateway_ok", "Event_end", cond=("ok = true", "ok == true"))
    p.flow("Gateway_ok", "Gateway_again", id="Flow_retry")
    return [m]


@pattern
def order_fulfilment():
    m, p = simple("order-fulfilment", "An order end to end: check, pay (with a declined path), pick in parallel, ship")
    m.errors.append(("Error_declined", "DECLINED"))
    m.drive["variables"] = {"orderId": "order-9", "items": ["a", "b"]}
    p.add("startEvent", "StartEvent_1", "Order received")
    p.add("serviceTask", "Activity_validate", "Validate order", topic="validate-order")
    p.add("serviceTask", "Activity_pay", "Take payment", topic="take-payment")
    p.add("boundaryEvent", "Event_declined", "Declined", attached="Activity_pay", event=("error", "Error_declined"))
    p.add("parallelGateway", "Gateway_fork")
    p.add("serviceTask", "Activity_pick", "Pick item", topic="pick-item", loop={"collection": "items"})
    p.add("serviceTask", "Activity_invoice", "Write invoice", topic="write-invoice")
    p.add("parallelGateway", "Gateway_join")
    p.add("serviceTask", "Activity_ship", "Ship", topic="ship-order")
    p.add("endEvent", "Event_shipped", "Shipped")
    p.add("serviceTask", "Activity_cancel", "Cancel order", topic="cancel-order")
    p.add("endEvent", "Event_cancelled", "Cancelled")
    p.chain("StartEvent_1", "Activity_validate", "Activity_pay", "Gateway_fork")
    p.chain("Gateway_fork", "Activity_pick", "Gateway_join")
    p.chain("Gateway_fork", "Activity_invoice", "Gateway_join")
    p.chain("Gateway_join", "Activity_ship", "Event_shipped")
    p.chain("Event_declined", "Activity_cancel", "Event_cancelled")
    return [m]


# What each model's drive must reach (and must not): the path its answers lead to.
PATHS = {
    "exclusive-small": (["Activity_auto"], ["Activity_review"]),
    "exclusive-large": (["Activity_review"], ["Activity_auto"]),
    "inclusive": (["Activity_express", "Activity_insured"], ["Activity_gift"]),
    "multi-instance-parallel": (["Activity_reserve"], []),
    "multi-instance-sequential": (["Activity_reserve"], []),
    "multi-instance-subprocess": (["Activity_pickup", "Activity_parcels"], []),
    "call-activity": (["Activity_childWork", "Activity_after"], []),
    "call-activity-chain": (["Activity_gWork", "Activity_after"], []),
    "error-boundary-caught": (["Activity_notify", "Event_cancelled"], ["Event_paid"]),
    "error-boundary-passed": (["Event_paid"], ["Activity_notify"]),
    "error-end-event": (["Activity_backorder"], ["Event_picked"]),
    "timer-intermediate": (["Event_wait", "Activity_remind"], []),
    "timer-boundary-interrupting": (["Activity_escalate"], ["Event_approved"]),
    "timer-boundary-cycle": (["Activity_nudge", "Event_signed"], []),
    "timer-date": (["Event_date"], []),
    "timer-start-iso": (["Activity_report"], []),
    "timer-start-cron": (["Activity_report"], []),
    "message-catch": (["Event_paid", "Activity_ship"], []),
    "message-receive-task": (["Activity_wait"], []),
    "message-start": (["Activity_check"], []),
    "message-boundary": (["Activity_apply", "Event_packed"], []),
    "event-based-gateway": (["Activity_fulfil"], ["Activity_cancel"]),
    "message-throw": (["Activity_send", "Event_notified"], []),
    "signal-between-branches": (["Event_ready", "Event_announce"], []),
    "signal-start": (["Activity_recall"], []),
    "signal-boundary": (["Event_stopped"], ["Event_done"]),
    "event-subprocess-message": (["Activity_handle", "Activity_main"], []),
    "event-subprocess-timer": (["Activity_handle"], ["Activity_main"]),
    "event-subprocess-error": (["Activity_handle"], ["Activity_main"]),
    "event-subprocess-signal": (["Activity_handle", "Activity_main"], []),
    "event-subprocess-escalation": (["Activity_handle", "Event_end"], []),
    "escalation-boundary": (["Activity_manager", "Activity_serve"], []),
    "link-events": (["Activity_second"], []),
    "terminate-end": (["Event_terminate"], []),
    "script-task": (["Activity_total", "Activity_big"], ["Event_small"]),
    "business-rule-task": (["Activity_auto"], ["Activity_manual"]),
    "output-mappings": (["Activity_approve"], []),
    "retry-loop": (["Event_end"], []),
    "order-fulfilment": (["Activity_pick", "Activity_invoice", "Activity_ship"], ["Activity_cancel"]),
}


def main():
    models = [m for f in PATTERNS for m in f()]
    for m in models:
        reaches, avoids = PATHS.get(m.name, (["Event_end"] if m.name.startswith(("sequence", "parallel", "subprocess")) else [], []))
        m.drive["reaches"], m.drive["avoids"] = reaches, avoids
        assert reaches, f"{m.name} says nothing it must reach"
    names = set()
    count = 0
    for old in os.listdir(HERE):
        if old.endswith(".bpmn"):
            os.remove(os.path.join(HERE, old))
    for m in models:
        assert m.name not in names, m.name
        names.add(m.name)
        for st in (C7, C8, MIWG):
            with open(os.path.join(HERE, f"{m.name}.{st.key}.bpmn"), "w") as f:
                f.write(render(m, st))
            count += 1
    print(f"{count} files from {len(models)} models")


if __name__ == "__main__":
    main()
