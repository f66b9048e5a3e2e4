"""What the real Alertmanager delivers to, run by the tests: a real SMTP server (aiosmtpd), and a
local HTTP endpoint speaking the WeCom API paths Alertmanager's wechat_configs call (gettoken,
then message/send) and taking the dead man's switch's pings.

The WeCom stand-in checks what Alertmanager sends, not WeCom itself (it cannot be reached from
here): the real service is untested, as docs/alerting.md says.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller

from tests.support.ports import free_port

ACCESS_TOKEN = "stand-in-access-token"


@dataclass
class Mail:
    to: list[str]
    message: EmailMessage
    received: float = field(default_factory=time.monotonic)  # when the server took it

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()


@dataclass
class Mailbox:
    port: int
    mails: list[Mail] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's handler hook
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.mails.append(Mail(list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str, containing: str = "") -> list[Mail]:
        return [m for m in list(self.mails) if address in m.to and containing in m.subject + m.text]


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    """A real SMTP server on a free loopback port, keeping every mail it receives."""
    mailbox = Mailbox(free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


@dataclass
class StandIn:
    port: int
    corp_secret: str
    token_requests: list[dict[str, list[str]]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    pings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/cgi-bin/"

    @property
    def ping_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/ping/tuoyu"


def _handler(stand_in: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # WeCom: GET /cgi-bin/gettoken?corpid=…&corpsecret=…
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            if url.path != "/cgi-bin/gettoken":
                self._answer({"errcode": 404, "errmsg": f"no such path {url.path}"})
                return
            stand_in.token_requests.append(query)
            if query.get("corpsecret") != [stand_in.corp_secret]:
                self._answer({"errcode": 40001, "errmsg": "invalid credential"})
                return
            self._answer({"errcode": 0, "errmsg": "ok", "access_token": ACCESS_TOKEN, "expires_in": 7200})

        def do_POST(self) -> None:  # WeCom: POST /cgi-bin/message/send?access_token=…; the switch's pings
            url = urlsplit(self.path)
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
            if url.path.startswith("/ping/"):
                stand_in.pings.append(body)
                self._answer({"ok": True})
            elif url.path == "/cgi-bin/message/send" and parse_qs(url.query).get("access_token") == [ACCESS_TOKEN]:
                stand_in.messages.append(body)
                self._answer({"errcode": 0, "errmsg": "ok", "invaliduser": ""})
            else:
                self._answer({"errcode": 42001, "errmsg": "access_token expired"})

    return Handler


@contextmanager
def wecom_and_switch(corp_secret: str) -> Iterator[StandIn]:
    stand_in = StandIn(free_port(), corp_secret)
    server = ThreadingHTTPServer(("127.0.0.1", stand_in.port), _handler(stand_in))
    thread = threading.Thread(target=server.serve_forever, name="wecom-stand-in", daemon=True)
    thread.start()
    try:
        yield stand_in
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
