"""Webhooks reach a real receiver, signed per the Standard Webhooks spec, and are retried after failure."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from serverproc import make_server

from phonofilm.media import encode_image

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


class Receiver(ThreadingHTTPServer):
    """Records every delivery; answers 500 to the first one so the sender must retry."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[dict[str, str], bytes]] = []
        self.refuse_first = True

        class Handler(BaseHTTPRequestHandler):
            def do_POST(handler) -> None:
                body = handler.rfile.read(int(handler.headers["content-length"]))
                self.deliveries.append(({k.lower(): v for k, v in handler.headers.items()}, body))
                status = 500 if self.refuse_first else 204
                self.refuse_first = False
                handler.send_response(status)
                handler.end_headers()

            def log_message(handler, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)


def _verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Standard Webhooks verification, written from the spec (not with the server's code)."""
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(base64.b64decode(secret[6:]), signed, hashlib.sha256).digest()).decode()
    return any(sig == f"v1,{expected}" for sig in headers["webhook-signature"].split())


def test_signed_events_with_retry(tmp_path: Path, generator_spec: str) -> None:
    receiver = Receiver()
    thread = threading.Thread(target=receiver.serve_forever, daemon=True)
    thread.start()
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    server = make_server(tmp_path / "home", generator_spec, PHONOFILM_WEBHOOK_URL=f"http://127.0.0.1:{receiver.server_port}/hook",
                         PHONOFILM_WEBHOOK_SECRET=secret, PHONOFILM_WEBHOOK_RETRY_BASE_SECONDS="0.2").start()
    try:
        client = server.client(server.key())
        ok = client.videos.create_and_poll(prompt="a red ball", seconds="4", size="1280x720")
        png = encode_image(np.zeros((720, 1280, 3), np.uint8), "png")
        other = client.videos.create_and_poll(prompt="a ball", size="1280x720", input_reference=("a.png", png, "image/png"))
        deadline = time.time() + 30
        while time.time() < deadline and len({json.loads(b)["data"]["id"] for h, b in receiver.deliveries[1:]}) < 2:
            time.sleep(0.1)
    finally:
        server.stop()
        receiver.shutdown()
    first_headers, first_body = receiver.deliveries[0]
    events = {}
    for headers, body in receiver.deliveries:
        assert _verify(secret, headers, body)
        assert abs(int(headers["webhook-timestamp"]) - time.time()) < 120
        event = json.loads(body)
        events.setdefault(event["data"]["id"], []).append(event)
    assert events[ok.id][-1]["type"] == "video.completed"
    assert events[other.id][-1]["type"] == f"video.{other.status}"
    # the refused first delivery came again, with the same id
    assert [h["webhook-id"] for h, _ in receiver.deliveries].count(first_headers["webhook-id"]) == 2
    assert not _verify("whsec_" + base64.b64encode(b"wrong-secret-bytes").decode(), first_headers, first_body)
