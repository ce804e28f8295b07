"""Webhooks: `video.completed` / `video.failed` events, signed in the Standard Webhooks format.

Events are written to the outbox table in the same transaction as the status change, then delivered
by workers (at least once; `webhook-id` lets receivers drop repeats). A failed delivery is retried
with exponential backoff until `webhook_max_attempts`. Signature: base64 HMAC-SHA256 of
"{webhook-id}.{webhook-timestamp}.{body}" with the secret's bytes, sent as "v1,<signature>".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time

import httpx
from sqlalchemy import select, update

from phonofilm.server.settings import Settings
from phonofilm.server.store import Event, Store

log = logging.getLogger("phonofilm.webhooks")
BATCH = 20
DELIVERY_TIMEOUT_S = 10.0
MAX_BACKOFF_S = 10 * 3600.0


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value for one message."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def payload(event: Event) -> bytes:
    """The JSON body of an event, as OpenAI sent it: the video id in `data`."""
    body = {"id": event.id, "object": "event", "type": event.type, "created_at": int(event.created_at),
            "data": {"id": event.video_id}}
    return json.dumps(body, separators=(",", ":")).encode()


def backoff(attempts: int, base: float) -> float:
    """Seconds to wait after the `attempts`-th failed delivery: base, 5x base, 25x base, ... (capped)."""
    return min(base * 5 ** (attempts - 1), MAX_BACKOFF_S)


def deliver_due(store: Store, settings: Settings, client: httpx.Client, now: float | None = None) -> int:
    """Try every event that is due; return how many were delivered."""
    if not settings.webhook_url:
        return 0
    now = time.time() if now is None else now
    with store.read() as session:
        due = session.execute(
            select(Event.id, Event.next_attempt_at)
            .where(Event.delivered_at.is_(None), Event.gave_up.is_(False), Event.next_attempt_at <= now)
            .order_by(Event.next_attempt_at)
            .limit(BATCH)
        ).all()
    delivered = 0
    for event_id, due_at in due:
        with store.write() as session:  # claim it: other workers skip it while we try
            won = session.execute(
                update(Event).where(Event.id == event_id, Event.next_attempt_at == due_at)
                .values(next_attempt_at=now + DELIVERY_TIMEOUT_S * 2)
            ).rowcount
            event = session.get(Event, event_id) if won else None
        if event is not None:
            delivered += _deliver(store, settings, client, event)
    return delivered


def _deliver(store: Store, settings: Settings, client: httpx.Client, event: Event) -> bool:
    body = payload(event)
    timestamp = int(time.time())
    headers = {
        "content-type": "application/json",
        "webhook-id": event.id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(settings.webhook_secret, event.id, timestamp, body),
        "user-agent": "phonofilm-webhooks/1",
    }
    error = None
    try:
        response = client.post(settings.webhook_url, content=body, headers=headers, timeout=DELIVERY_TIMEOUT_S)
        if not 200 <= response.status_code < 300:
            error = f"HTTP {response.status_code}"
    except httpx.HTTPError as err:
        error = f"{type(err).__name__}: {err}"
    with store.write() as session:
        row = session.get(Event, event.id)
        if row is None:
            return False
        row.attempts += 1
        if error is None:
            row.delivered_at = time.time()
            return True
        row.last_error = error
        row.gave_up = row.attempts >= settings.webhook_max_attempts
        row.next_attempt_at = time.time() + backoff(row.attempts, settings.webhook_retry_base_seconds)
        log.warning("webhook %s for %s failed (attempt %d): %s", event.type, event.video_id, row.attempts, error)
        return False
