"""The job state machine on a real SQLite store: claims, leases, exactly-once completion, expiry."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from phonofilm.server import jobs
from phonofilm.server.store import Event, Store, Video
from phonofilm.server.usage import cost, price_per_second


def _queue(store: Store, n: int, owner: str = "key_a") -> list[str]:
    ids = []
    with store.write() as session:
        for i in range(n):
            video = Video(id=jobs.new_id("video"), owner=owner, kind="create", model="sora-2", preset="sora-2",
                          prompt=f"p{i}", seconds="4", new_seconds=4.0, size="1280x720", seed=i,
                          status=jobs.QUEUED, progress=0, created_at=time.time(), attempts=0, outputs={},
                          character_ids=[], cost_usd=0.4)
            session.add(video)
            ids.append(video.id)
    return ids


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    s.create_all()
    return s


def _row(store: Store, video_id: str) -> Video:
    with store.read() as session:
        return session.scalar(select(Video).where(Video.id == video_id))


def test_concurrent_claims_never_share_a_job(store: Store) -> None:
    ids = _queue(store, 12)
    claimed: list[str] = []
    lock = threading.Lock()

    def claimer(name: str) -> None:
        while (c := jobs.claim(store, name, 30, 3)) is not None:
            with lock:
                claimed.append(c.video_id)

    threads = [threading.Thread(target=claimer, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(ids)  # each exactly once


def test_stale_claim_cannot_complete_after_takeover(store: Store) -> None:
    (video_id,) = _queue(store, 1)
    first = jobs.claim(store, "a", lease_seconds=0.05, max_attempts=3)
    time.sleep(0.1)  # a's lease runs out (a is "dead")
    second = jobs.claim(store, "b", lease_seconds=30, max_attempts=3)
    assert second is not None and second.video_id == video_id and second.attempt == 2
    assert not jobs.heartbeat(store, first, 30, 50)
    assert not jobs.complete(store, first, {"video": "file_a"}, 60)
    assert jobs.complete(store, second, {"video": "file_b"}, 60)
    assert not jobs.complete(store, second, {"video": "file_c"}, 60)  # and only once
    row = _row(store, video_id)
    assert (row.status, row.outputs, row.progress) == ("completed", {"video": "file_b"}, 100)
    with store.read() as session:
        events = session.scalars(select(Event.type).where(Event.video_id == video_id)).all()
    assert events == ["video.completed"]


def test_attempts_are_bounded(store: Store) -> None:
    (video_id,) = _queue(store, 1)
    for _ in range(2):
        assert jobs.claim(store, "dies", lease_seconds=0.01, max_attempts=2) is not None
        time.sleep(0.02)
    assert jobs.claim(store, "next", lease_seconds=30, max_attempts=2) is None
    row = _row(store, video_id)
    assert (row.status, row.error_code) == ("failed", "worker_lost")
    assert "2 time(s)" in row.error_message


def test_delete_cancels_a_running_job(store: Store) -> None:
    (video_id,) = _queue(store, 1)
    claim = jobs.claim(store, "w", 30, 3)
    assert jobs.heartbeat(store, claim, 30, 40) and _row(store, video_id).progress == 40
    assert jobs.delete(store, "key_other", video_id) is None  # not the owner
    assert jobs.delete(store, "key_a", video_id) == {}
    assert not jobs.heartbeat(store, claim, 30, 50)
    assert not jobs.complete(store, claim, {"video": "file_x"}, 60)
    assert jobs.claim(store, "w2", 30, 3) is None


def test_expiry_forgets_outputs(store: Store) -> None:
    (video_id,) = _queue(store, 1)
    claim = jobs.claim(store, "w", 30, 3)
    assert jobs.complete(store, claim, {"video": "file_v", "thumbnail": "file_t"}, retention_seconds=1)
    assert jobs.expire(store, now=time.time()) == []
    assert sorted(jobs.expire(store, now=time.time() + 5)) == ["file_t", "file_v"]
    assert _row(store, video_id).outputs == {}


def test_prices_follow_the_seed() -> None:
    assert price_per_second("sora-2", "1280x720") == 0.10
    assert price_per_second("sora-2-pro", "720x1280") == 0.30
    assert price_per_second("sora-2-pro", "1792x1024") == price_per_second("sora-2-pro", "1080x1920") == 0.50
    assert cost("sora-2-pro", "1920x1080", 12) == pytest.approx(6.0)
    with pytest.raises(ValueError, match="no price"):
        price_per_second("sora-2", "1920x1080")
