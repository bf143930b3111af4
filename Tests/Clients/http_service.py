"""A small HTTP service that configured workers (`baton worker --config`) call in the tests
and in the README's demo: every POST gets a Baton task message as JSON.

usage: http_service.py PORT STATE_DIR

  POST /ok        200 {"approved": true, "variables": {"handledBy": <workerId>}}
  POST /declined  422 {"errorCode": "DECLINED", "errorMessage": "declined by the service"}
  POST /broken    503
  POST /refused   400
  POST /slow      waits ?ms= milliseconds (default 3000), then as /ok
  POST /flaky     503 while STATE_DIR/down exists, then as /ok
  POST /notjson   200 with a body that is not JSON
  POST /huge      200 with a 2 MiB JSON body
  GET  /calls     {"<path>": {"<correlationId>": [workerId, ...]}}: every call so far
Prints "ready" once it listens.
"""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

port, state = int(sys.argv[1]), sys.argv[2]
calls = {}
lock = threading.Lock()


class Service(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=None):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        with lock:
            self.reply(200, calls)

    def do_POST(self):
        url = urlparse(self.path)
        expected = int(self.headers.get("Content-Length", 0))
        raw = self.rfile.read(expected)
        if len(raw) < expected:
            # The caller died mid-request (a worker killed with SIGKILL): not a call.
            return
        task = json.loads(raw or b"{}")
        with lock:
            calls.setdefault(url.path, {}).setdefault(task.get("correlationId", "?"), []).append(task.get("workerId"))
        ok = {"approved": True, "variables": {"handledBy": task.get("workerId")}}
        if url.path == "/ok":
            self.reply(200, ok)
        elif url.path == "/declined":
            self.reply(422, {"errorCode": "DECLINED", "errorMessage": "declined by the service"})
        elif url.path == "/broken":
            self.reply(503, {"error": "the service is broken"})
        elif url.path == "/refused":
            self.reply(400, {"error": "bad request"})
        elif url.path == "/slow":
            time.sleep(int(parse_qs(url.query).get("ms", ["3000"])[0]) / 1000)
            self.reply(200, ok)
        elif url.path == "/notjson":
            data = b"<html>surprise</html>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        elif url.path == "/huge":
            self.reply(200, {"blob": "x" * (2 << 20)})
        elif url.path == "/flaky":
            self.reply(503, {"error": "down"}) if os.path.exists(os.path.join(state, "down")) else self.reply(200, ok)
        else:
            self.reply(404, {"error": "no such path"})


server = ThreadingHTTPServer(("127.0.0.1", port), Service)
server.daemon_threads = True
print("ready", flush=True)
server.serve_forever()
