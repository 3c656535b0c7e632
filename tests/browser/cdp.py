"""Headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe).

Chromium reads commands from its fd 3 and writes answers and events to its fd 4, each a JSON
message ended by a NUL byte; no port, no WebSocket, nothing beyond the standard library. Clicks
and typing go through the browser's input pipeline (Input.dispatchMouseEvent, Input.insertText),
as a person's would.
"""

import base64
import json
import os
import subprocess
import threading
import time


class CdpError(Exception):
    pass


class Browser:
    def __init__(self, binary, profile_dir, log_path, width=1280, height=900):
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()
        args = [
            binary, "--headless", "--remote-debugging-pipe", f"--user-data-dir={profile_dir}",
            # The sandbox needs user namespaces that containers often lack; this browser only
            # loads the test's own pages on 127.0.0.1.
            "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
            "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-default-apps",
            "--disable-extensions", "--password-store=basic", "--use-mock-keychain",
            f"--window-size={width},{height}", "about:blank",
        ]
        # Put the pipe ends on the child's fds 3 and 4, whatever numbers they have here.
        shell = f'exec "$@" 3<&{to_chrome_r} 4>&{from_chrome_w} {to_chrome_r}<&- {from_chrome_w}>&-'
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(["/bin/sh", "-c", shell, "sh", *args],
                                     pass_fds=(to_chrome_r, from_chrome_w),
                                     stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._next_id = 0
        self._answers = {}
        self._cond = threading.Condition()
        self._closed = False
        self.events = []  # (session, method, params) of every event, for the checks
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.version = self.send("Browser.getVersion")["product"]

    def _read(self):
        buf = b""
        while True:
            chunk = os.read(self._from_chrome, 65536)
            if not chunk:
                break
            buf += chunk
            *messages, buf = buf.split(b"\0")
            with self._cond:
                for raw in messages:
                    msg = json.loads(raw)
                    if "id" in msg:
                        self._answers[msg["id"]] = msg
                    else:
                        self.events.append((msg.get("sessionId"), msg["method"], msg.get("params", {})))
                self._cond.notify_all()
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def send(self, method, params=None, session=None, timeout=30):
        with self._cond:
            self._next_id += 1
            mid = self._next_id
        msg = {"id": mid, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_chrome, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        with self._cond:
            while mid not in self._answers:
                left = deadline - time.monotonic()
                if self._closed or left <= 0:
                    raise CdpError(f"{method}: no answer from chromium"
                                   + (" (it exited)" if self._closed else f" within {timeout} s"))
                self._cond.wait(left)
            answer = self._answers.pop(mid)
        if "error" in answer:
            raise CdpError(f"{method}: {answer['error'].get('message')}")
        return answer["result"]

    def new_page(self):
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        return Page(self, session)

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except CdpError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_chrome)
        self._log.close()


class Page:
    def __init__(self, browser, session):
        self.browser, self.session = browser, session
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable")

    def send(self, method, params=None, timeout=30):
        return self.browser.send(method, params, session=self.session, timeout=timeout)

    def goto(self, url):
        self.send("Page.navigate", {"url": url})
        self.wait_for("document.readyState === 'complete'", f"{url} to load")

    def eval(self, expression):
        """The value of a JavaScript expression in the page (promises awaited)."""
        res = self.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                             "returnByValue": True})
        if "exceptionDetails" in res:
            d = res["exceptionDetails"]
            raise CdpError(d.get("exception", {}).get("description") or d.get("text"))
        return res["result"].get("value")

    def wait_for(self, expression, what, timeout=20):
        """Waits until the expression is truthy, across navigations (while one runs, the page
        may be gone or another one); returns its value."""
        deadline = time.monotonic() + timeout
        last_error = None
        while True:
            try:
                value = self.eval(expression)
                if value:
                    return value
            except CdpError as e:
                last_error = e
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}"
                                     + (f" (last: {last_error})" if last_error else ""))
            time.sleep(0.1)

    def _element_center(self, selector):
        sel = json.dumps(selector)
        return self.wait_for(
            f"""(() => {{
                const el = document.querySelector({sel});
                if (!el || el.closest('[hidden]')) return null;
                el.scrollIntoView({{block: 'center'}});
                const r = el.getBoundingClientRect();
                return r.width && r.height ? [r.x + r.width / 2, r.y + r.height / 2] : null;
            }})()""", f"{selector} to be visible")

    def click(self, selector):
        x, y = self._element_center(selector)
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y,
                                                   "button": "left", "clickCount": 1})

    def fill(self, selector, text):
        """Clicks into a field, selects what is there and types text over it."""
        self.click(selector)
        self.eval(f"document.querySelector({json.dumps(selector)}).select()")
        if text:
            self.send("Input.insertText", {"text": text})
        else:
            self.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": "Delete", "code": "Delete",
                                                 "windowsVirtualKeyCode": 46})
            self.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": "Delete", "code": "Delete",
                                                 "windowsVirtualKeyCode": 46})

    def text(self, selector):
        return self.eval(f"document.querySelector({json.dumps(selector)})?.innerText ?? null")

    def screenshot(self, path):
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def problems(self):
        """Script errors and network or CORS failures the page met (the browser's own words)."""
        out = []
        for session, method, p in self.browser.events:
            if session != self.session:
                continue
            if method == "Runtime.exceptionThrown":
                d = p["exceptionDetails"]
                out.append(d.get("exception", {}).get("description") or d.get("text"))
            elif method == "Log.entryAdded" and p["entry"]["level"] == "error":
                out.append(f"{p['entry']['text']} ({p['entry'].get('url', '')})")
            elif method == "Runtime.consoleAPICalled" and p["type"] == "error":
                out.append(" ".join(str(a.get("value", a.get("description"))) for a in p["args"]))
        return out
