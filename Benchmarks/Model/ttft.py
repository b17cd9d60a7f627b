#!/usr/bin/env python3
"""Cairn's own overhead on the time to the first token of a model reply (issue 5).

A recording proxy sits between Cairn and the model server. For each free question a learner
asks in the chat (the page's streaming form post), this measures:
  - through Cairn: from sending the question to the first `delta` event of the model's reply;
  - the model itself: from the proxy receiving Cairn's model request to the model server's
    first streamed byte, the same call made directly to the same server, in the same run.
Cairn's overhead is the difference, question by question: everything Cairn does before it
calls the model (the session, the built-in reply with its retrieval, storing both, building
the prompt) and after (relaying the piece to the page). The proxy's own relaying is counted
against Cairn, so the figure is, if anything, high.

Usage: ttft.py CAIRN_URL PROXY_PORT MODEL_URL QUESTIONS
(scripts/bench-model starts the model server and Cairn, pointed at PROXY_PORT, then runs this.)
"""
import http.client
import http.cookiejar
import http.server
import json
import re
import socket
import socketserver
import statistics
import sys
import threading
import time
import urllib.parse
import urllib.request

CAIRN, PROXY_PORT, MODEL, COUNT = sys.argv[1].rstrip("/"), int(sys.argv[2]), sys.argv[3].rstrip("/"), int(sys.argv[4])
upstream = urllib.parse.urlsplit(MODEL)
TOKEN = re.compile(rb'"content":"[^"]')
model_times = []  # seconds from the proxy receiving a request to the first byte of the upstream reply
lock = threading.Lock()


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        # Small writes go out at once, as from a real model server (no Nagle delay).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self):
        received = time.perf_counter()
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=300)
        path = upstream.path.rstrip("/").rsplit("/v1", 1)[0] + self.path
        connection.request("POST", path, body, {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")})
        response = connection.getresponse()
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        # Kept alive, as a model server keeps Cairn's connection: each call does not pay to connect.
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        # The first token: the first piece of content (a stream opens with a chunk that only
        # names the role, sent before the model has written anything).
        first = True
        seen = b""
        while True:
            piece = response.read1(65536)
            if not piece:
                break
            if first:
                seen += piece
                if TOKEN.search(seen):
                    with lock:
                        model_times.append(time.perf_counter() - received)
                    first = False
            try:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                # Cairn stopped the reply (it repeated itself, or the learner left).
                connection.close()
                self.close_connection = True
                return
        try:
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        connection.close()


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


proxy = Server(("127.0.0.1", PROXY_PORT), Proxy)
threading.Thread(target=proxy.serve_forever, daemon=True).start()


def learner(index):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = urllib.parse.urlencode({"email": f"ttft-{index}-{int(time.time())}@example.org", "name": f"Learner {index}",
                                   "password": "a benchmark password"}).encode()
    opener.open(CAIRN + "/signup", form).read()
    opener.open(CAIRN + "/courses/ai-foundations/lessons/what-generative-ai-is").read()
    return opener


questions = [
    "Why do chat assistants sometimes make things up?", "What is a token?", "How does a model choose the next word?",
    "Why can the same question get a different answer?", "What does a reasoning mode change?", "What is a context window?",
    "Can a model check facts by itself?", "What is a chat assistant made of?", "Why is a fluent answer not always right?",
    "How many tokens is a page of English?",
]
through_cairn = []
openers = [learner(i) for i in range((COUNT + 9) // 10)]
for n in range(COUNT):
    opener = openers[n // 10]
    question = questions[n % len(questions)] + f" ({n})"
    body = urllib.parse.urlencode({"action": "ask", "question": question}).encode()
    request = urllib.request.Request(CAIRN + "/courses/ai-foundations/lessons/what-generative-ai-is/chat", body,
                                     {"Accept": "text/event-stream"})
    with lock:
        before = len(model_times)
    start = time.perf_counter()
    first = None
    with opener.open(request, timeout=300) as response:
        for line in response:
            if first is None and line.startswith(b"event: delta"):
                first = time.perf_counter() - start
    with lock:
        model = model_times[before] if len(model_times) > before else None
    if first is not None and model is not None:
        through_cairn.append((first, model))
    time.sleep(0.2)

proxy.shutdown()
if not through_cairn:
    print("no model reply reached the page; is the model server up?")
    sys.exit(1)
overheads = sorted((cairn - model) * 1000 for cairn, model in through_cairn)
cairn_ms = sorted(c * 1000 for c, _ in through_cairn)
model_ms = sorted(m * 1000 for _, m in through_cairn)


def p(values, q):
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


print(f"{len(through_cairn)} questions, each answered by the model (the first {COUNT} asked)")
print(f"time to first token through Cairn: p50 {p(cairn_ms, .5):.1f} ms, p95 {p(cairn_ms, .95):.1f} ms")
print(f"time to first token of the same model calls, made directly to the same server: p50 {p(model_ms, .5):.1f} ms, p95 {p(model_ms, .95):.1f} ms")
print(f"Cairn's overhead: p50 {p(overheads, .5):.1f} ms, p95 {p(overheads, .95):.1f} ms, max {overheads[-1]:.1f} ms (target: p95 at most 10 ms)")
