"""Headless Chromium clicks "Retry" on Baton's incidents page (PagesTests).

Drives Chromium over the DevTools protocol on a pipe (--remote-debugging-pipe: JSON
messages separated by NUL on file descriptors 3 and 4), with Python's standard library
only: opens the page, clicks the first incident's Retry button (a real form post by the
browser, with the credentials of the page's URL), waits for the page it is sent back to,
and saves a screenshot of it.

usage: browser_retry.py CHROMIUM URL-WITH-CREDENTIALS SCREENSHOT.png
prints the address the browser ended on and the page's text; exit status 0 on success.
"""
import base64
import fcntl
import json
import os
import subprocess
import sys
import time

chromium, url, screenshot = sys.argv[1:4]
browser = None
to_browser_write = from_browser_read = None
pending = b""
next_id = 0
events = []


def launch():
    """Starts Chromium with its DevTools pipe on descriptors 3 and 4; its errors go to a
    file, printed if it dies before answering."""
    global browser, to_browser_write, from_browser_read, pending, events
    to_browser_read, to_browser_write = os.pipe()
    from_browser_read, from_browser_write = os.pipe()
    log = open(screenshot + ".browser.log", "wb")

    def pipe_on_3_and_4():
        # In the child: the pipe's ends become descriptors 3 and 4, by way of numbers above
        # both so that neither move overwrites the other. (A shell's `3<&N` did this
        # before; dash refuses N above 9, which a test process with many files open gave.)
        read_end = fcntl.fcntl(to_browser_read, fcntl.F_DUPFD, 10)
        write_end = fcntl.fcntl(from_browser_write, fcntl.F_DUPFD, 10)
        os.dup2(read_end, 3)
        os.dup2(write_end, 4)

    browser = subprocess.Popen(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1300,1000",
         "--remote-debugging-pipe", "about:blank"],
        preexec_fn=pipe_on_3_and_4, pass_fds=(3, 4), stdout=subprocess.DEVNULL, stderr=log)
    os.close(to_browser_read)
    os.close(from_browser_write)
    pending = b""
    events = []


def receive(deadline):
    global pending
    while b"\0" not in pending:
        if time.time() > deadline:
            raise TimeoutError("no answer from the browser")
        chunk = os.read(from_browser_read, 1 << 16)
        if not chunk:
            raise EOFError("the browser closed its pipe")
        pending += chunk
    message, pending = pending.split(b"\0", 1)
    return json.loads(message)


def call(method, params=None, session=None, timeout=30):
    global next_id
    next_id += 1
    message = {"id": next_id, "method": method, "params": params or {}}
    if session:
        message["sessionId"] = session
    os.write(to_browser_write, json.dumps(message).encode() + b"\0")
    deadline = time.time() + timeout
    while True:
        answer = receive(deadline)
        if answer.get("id") == next_id:
            if "error" in answer:
                raise RuntimeError("%s failed: %s" % (method, answer["error"]))
            return answer.get("result", {})
        events.append(answer)


def wait_for(event, session, timeout=30):
    deadline = time.time() + timeout
    while True:
        for index, seen in enumerate(events):
            if seen.get("method") == event and seen.get("sessionId") == session:
                del events[index]
                return seen
        events.append(receive(deadline))


def evaluate(expression, session):
    return call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session)["result"].get("value")


try:
    # A browser started on a machine busy with the rest of the test suite has been seen to
    # close its pipe before its first answer: started again, up to three times.
    for attempt in range(3):
        launch()
        try:
            target = call("Target.createTarget", {"url": "about:blank"})["targetId"]
            break
        except EOFError:
            browser.kill()
            browser.wait()
            with open(screenshot + ".browser.log", "rb") as log:
                print("attempt %d: the browser closed its pipe: %s" % (attempt + 1, log.read()[-2000:].decode(errors="replace")))
            if attempt == 2:
                raise
            time.sleep(2)
    session = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    call("Page.enable", session=session)
    call("Page.navigate", {"url": url}, session)
    wait_for("Page.loadEventFired", session)
    title = evaluate("document.title", session)
    clicked = evaluate("(() => { const b = document.querySelector('td form button'); if (!b) return false; b.click(); return true; })()", session)
    if not clicked:
        print("no Retry button on the page titled %r" % title)
        sys.exit(1)
    wait_for("Page.loadEventFired", session)
    print(evaluate("location.href", session))
    print(evaluate("document.body.innerText", session))
    shot = call("Page.captureScreenshot", {"format": "png"}, session)
    with open(screenshot, "wb") as out:
        out.write(base64.b64decode(shot["data"]))
finally:
    if browser:
        browser.kill()
        browser.wait()
