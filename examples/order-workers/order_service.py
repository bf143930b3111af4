"""The order services of bpmn/order-process.bpmn as one tiny HTTP service, for
`baton worker --config examples/order-workers/workers.yaml` (README, "Workers without
code"). Every POST body is a Baton task message (JSON); the answer is the task's result.

usage: python3 order_service.py [PORT]   (default 8099)

The payment service misbehaves like the in-process demo's, decided by the order number and
the task's attempt so that it needs no state: 1 order in 100 fails on its first 3 attempts
(its retries run out: an incident, which `baton incidents retry` resolves), 5 in 100 fail
on their first attempt only.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def order_number(task):
    try:
        return int(task["correlationId"].rsplit("-", 1)[-1])
    except ValueError:
        return 0


def charge(task):
    number, attempt = order_number(task), task.get("attempt", 1)
    if (number % 100 == 37 and attempt <= 3) or (number % 20 == 3 and attempt == 1):
        return 503, {"error": "payment service unavailable"}
    total = task["variables"].get("order", {}).get("total", 0)
    return 200, {"charged": total, "attempt": attempt}


ROUTES = {
    "/charge-payment": charge,
    "/validate-order": lambda task: (200, {"valid": True}),
    "/reserve-inventory": lambda task: (200, {"reserved": True}),
    "/manual-approval": lambda task: (200, {"variables": {"approved": True}}),
    "/ship-order": lambda task: (200, {"trackingId": "TRK-" + task["correlationId"]}),
    "/notify-customer": lambda task: (200, {"notified": True}),
    "/cancel-order": lambda task: (200, {"canceled": True}),
}


class OrderService(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        route = ROUTES.get(self.path)
        if route is None or length > 1 << 20:
            status, body = 404, {"error": "no such service"}
        else:
            status, body = route(json.loads(self.rfile.read(length)))
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 8099), OrderService)
server.daemon_threads = True
print(f"order service on http://127.0.0.1:{server.server_port}", flush=True)
server.serve_forever()
