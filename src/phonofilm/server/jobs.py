"""The job state machine over the store: queued → in_progress → completed | failed (and deleted).

A worker claims a job by a conditional UPDATE that sets a fresh lease token; heartbeats, completion
and failure are conditional on that token, so a worker that lost its lease (it stalled, or was
presumed dead and the job re-claimed) can change nothing. That is what makes completion exactly-once.
A job whose lease runs out goes back to the queue until `max_attempts` claims, then fails.
Completion and failure write their webhook event in the same transaction.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from sqlalchemy import and_, or_, select, update

from phonofilm.server.store import Event, Store, Video

QUEUED, IN_PROGRESS, COMPLETED, FAILED = "queued", "in_progress", "completed", "failed"
CLAIM_CANDIDATES = 8  # rows looked at per claim; others may win some of them


def new_id(prefix: str) -> str:
    """An opaque, unguessable id such as `video_3f2a...` (128 random bits)."""
    return f"{prefix}_{secrets.token_hex(16)}"


@dataclass(frozen=True)
class Claim:
    """A worker's hold on one job: valid while `token` is the row's lease token."""

    video_id: str
    token: str
    attempt: int


def _claimable(now: float):
    expired = and_(Video.status == IN_PROGRESS, Video.lease_until < now)
    return and_(Video.deleted_at.is_(None), or_(Video.status == QUEUED, expired))


def claim(store: Store, worker: str, lease_seconds: float, max_attempts: int) -> Claim | None:
    """Take the oldest claimable job (queued, or abandoned by a dead worker), or None when there is none."""
    now = time.time()
    fail_exhausted(store, max_attempts, now)
    with store.read() as session:
        candidates = session.scalars(
            select(Video.id).where(_claimable(now)).order_by(Video.seq).limit(CLAIM_CANDIDATES)
        ).all()
    for video_id in candidates:
        token = secrets.token_hex(16)
        with store.write() as session:
            won = session.execute(
                update(Video)
                .where(Video.id == video_id, _claimable(now), Video.attempts < max_attempts)
                .values(
                    status=IN_PROGRESS,
                    lease_owner=worker,
                    lease_token=token,
                    lease_until=now + lease_seconds,
                    attempts=Video.attempts + 1,
                )
            ).rowcount
            if won:
                attempt = session.scalar(select(Video.attempts).where(Video.id == video_id))
                return Claim(video_id, token, int(attempt or 1))
    return None


def fail_exhausted(store: Store, max_attempts: int, now: float | None = None) -> int:
    """Fail jobs whose worker died on their last allowed attempt; return how many."""
    now = time.time() if now is None else now
    with store.read() as session:
        dead = session.scalars(
            select(Video.id).where(
                Video.status == IN_PROGRESS, Video.lease_until < now, Video.attempts >= max_attempts
            )
        ).all()
    message = (
        f"the worker generating this video stopped responding {max_attempts} time(s); "
        "giving up (see the worker logs)"
    )
    failed = 0
    for video_id in dead:
        with store.write() as session:
            done = session.execute(
                update(Video)
                .where(Video.id == video_id, Video.status == IN_PROGRESS, Video.lease_until < now)
                .values(status=FAILED, error_code="worker_lost", error_message=message,
                        completed_at=now, lease_token=None, lease_until=None)
            ).rowcount
            if done:
                _add_event(session, "video.failed", video_id, now)
                failed += 1
    return failed


def _held(claim: Claim):
    return and_(
        Video.id == claim.video_id,
        Video.lease_token == claim.token,
        Video.status == IN_PROGRESS,
        Video.deleted_at.is_(None),
    )


def heartbeat(store: Store, claim: Claim, lease_seconds: float, progress: int) -> bool:
    """Extend the lease and record progress; False if the job was deleted or the lease was lost."""
    with store.write() as session:
        return bool(
            session.execute(
                update(Video)
                .where(_held(claim))
                .values(lease_until=time.time() + lease_seconds, progress=max(0, min(99, progress)))
            ).rowcount
        )


def complete(store: Store, claim: Claim, outputs: dict[str, str], retention_seconds: int) -> bool:
    """Mark the job completed with its output file ids, exactly once; False if this claim no longer holds."""
    now = time.time()
    with store.write() as session:
        done = session.execute(
            update(Video)
            .where(_held(claim))
            .values(status=COMPLETED, progress=100, completed_at=now, expires_at=now + retention_seconds,
                    outputs=outputs, lease_token=None, lease_until=None)
        ).rowcount
        if done:
            _add_event(session, "video.completed", claim.video_id, now)
        return bool(done)


def fail(store: Store, claim: Claim, code: str, message: str) -> bool:
    """Mark the job failed with an error code and message; False if this claim no longer holds."""
    now = time.time()
    with store.write() as session:
        done = session.execute(
            update(Video)
            .where(_held(claim))
            .values(status=FAILED, completed_at=now, error_code=code, error_message=message[:2000],
                    lease_token=None, lease_until=None)
        ).rowcount
        if done:
            _add_event(session, "video.failed", claim.video_id, now)
        return bool(done)


def delete(store: Store, owner: str, video_id: str) -> dict[str, str] | None:
    """Delete (and so cancel) a video of `owner`; return its output file ids, or None if there is none."""
    with store.write() as session:
        video = session.scalar(
            select(Video).where(Video.id == video_id, Video.owner == owner, Video.deleted_at.is_(None))
        )
        if video is None:
            return None
        video.deleted_at = time.time()
        outputs, video.outputs = dict(video.outputs or {}), {}
        return outputs


def expire(store: Store, now: float | None = None) -> list[str]:
    """Forget the outputs of completed videos past `expires_at`; return the file ids to remove."""
    now = time.time() if now is None else now
    removed: list[str] = []
    with store.write() as session:
        for video in session.scalars(
            select(Video).where(Video.status == COMPLETED, Video.expires_at < now)
        ):
            if video.outputs:
                removed.extend(video.outputs.values())
                video.outputs = {}
    return removed


def _add_event(session, kind: str, video_id: str, now: float) -> None:
    session.add(Event(id=new_id("evt"), type=kind, video_id=video_id, created_at=now, next_attempt_at=now))
