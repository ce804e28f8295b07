"""The job store on real PostgreSQL: concurrent claims, and two worker processes sharing one queue."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from serverproc import make_server
from sqlalchemy import select

from phonofilm.server import jobs
from phonofilm.server.store import Event, Store, Video

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_concurrent_claims_on_postgres(pg_url: str) -> None:
    store = Store(pg_url)
    store.create_all()
    with store.write() as session:
        for i in range(16):
            session.add(Video(id=jobs.new_id("video"), owner="key_a", kind="create", model="sora-2", preset="sora-2",
                              prompt=str(i), seconds="4", new_seconds=4.0, size="1280x720", seed=i, status="queued",
                              progress=0, created_at=time.time(), attempts=0, outputs={}, character_ids=[],
                              cost_usd=0.4))
    claimed: list[str] = []
    lock = threading.Lock()

    def claimer(name: str) -> None:
        while (claim := jobs.claim(store, name, 30, 3)) is not None:
            assert jobs.complete(store, claim, {"video": "file_" + "0" * 32}, 60)
            with lock:
                claimed.append(claim.video_id)

    threads = [threading.Thread(target=claimer, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(claimed) == len(set(claimed)) == 16
    store.dispose()


@pytest.mark.slow
def test_two_workers_share_a_postgres_queue(tmp_path: Path, pg_url: str, generator_spec: str) -> None:
    server = make_server(tmp_path / "home", generator_spec, workers=0, PHONOFILM_DATABASE_URL=pg_url).start()
    try:
        for _ in range(2):
            server.start_worker()
        log = server.home / "workers.log"
        deadline = time.time() + 60
        while time.time() < deadline and (not log.exists() or log.read_text().count(" ready ") < 2):
            time.sleep(0.1)
        client = server.client(server.key())
        ids = [client.videos.create(prompt=f"a green ball number {i}", seconds="4").id for i in range(6)]
        done = [client.videos.poll(video_id) for video_id in ids]
        assert [v.status for v in done] == ["completed"] * 6
        store = Store(pg_url)
        with store.read() as session:
            rows = session.execute(select(Video.attempts, Video.lease_owner)).all()
            events = session.scalars(select(Event.video_id).where(Event.type == "video.completed")).all()
        store.dispose()
        assert sorted(events) == sorted(ids)  # each completed exactly once
        assert all(attempts == 1 for attempts, _ in rows)  # nobody redid anybody's job
        assert len({owner for _, owner in rows}) == 2  # both workers took jobs
    finally:
        server.stop()
