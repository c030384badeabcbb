"""A real HTTP receiver on 127.0.0.1 for webhook tests: it answers each request as its script
says (``"timeout"``: hold the connection longer than the sender waits; a number: that
status), then 200 for everything after the script ran out."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int | None  # None: held past the sender's timeout


@dataclass
class Receiver:
    script: list[str | int]
    hold_seconds: float = 2.0
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def next_answer(self) -> str | int:
        with self.lock:
            return self.script.pop(0) if self.script else 200

    def accepted_ids(self) -> list[str]:
        """webhook-ids answered 2xx, in the order they were accepted."""
        with self.lock:
            return [
                r.headers["webhook-id"]
                for r in self.requests
                if r.answered is not None and 200 <= r.answered < 300
            ]

    def ids(self) -> list[str]:
        with self.lock:
            return [r.headers["webhook-id"] for r in self.requests]


@contextmanager
def receiver(
    script: list[str | int] | None = None, hold_seconds: float = 2.0
) -> Iterator[Receiver]:
    state = Receiver(list(script or []), hold_seconds)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            entry = Received(self.path, headers, body, None)
            with state.lock:
                state.requests.append(entry)
            answer = state.next_answer()
            if answer == "timeout":
                time.sleep(state.hold_seconds)
                return  # the sender gave up already; close without an answer
            status = int(answer)
            entry.answered = status
            self.send_response(status)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
