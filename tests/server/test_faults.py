"""Processes die; jobs do not: kill -9 workers mid-job, restart the server with queued work."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from serverproc import Server, make_server, stop_process
from sqlalchemy import func, select

from phonofilm.server.store import Event, Store, Video

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def _statuses(store: Store) -> dict[str, str]:
    with store.read() as session:
        return dict(session.execute(select(Video.id, Video.status).where(Video.deleted_at.is_(None))).all())


def _assert_completed_exactly_once(store: Store, ids: list[str]) -> None:
    with store.read() as session:
        for video_id in ids:
            kinds = session.scalars(select(Event.type).where(Event.video_id == video_id)).all()
            assert kinds == ["video.completed"], (video_id, kinds)
        assert session.scalar(select(func.count()).select_from(Video).where(Video.status != "completed")) == 0


def test_kill_9_workers_mid_job_repeatedly(tmp_path: Path, generator_spec: str) -> None:
    server = make_server(tmp_path / "home", generator_spec, workers=0, PHONOFILM_MAX_ATTEMPTS="6").start()
    try:
        client = server.client(server.key())
        ids = [client.videos.create(prompt=f"a red ball number {i}", seconds="4").id for i in range(3)]
        store = Store(server.db_url)
        killed = []
        for _ in range(3):
            worker = server.start_worker()
            _wait(lambda: "in_progress" in _statuses(store).values(), 60, "a worker to claim a job")
            killed += [v for v, s in _statuses(store).items() if s == "in_progress"]
            stop_process(worker, signal.SIGKILL)
        server.start_worker()
        _wait(lambda: set(_statuses(store).values()) == {"completed"}, 120, "every job to complete")
        _assert_completed_exactly_once(store, ids)
        with store.read() as session:
            attempts = dict(session.execute(select(Video.id, Video.attempts)).all())
        assert all(attempts[v] >= 2 for v in killed)  # the killed attempts were retried
        for video_id in ids:
            assert len(client.videos.download_content(video_id).content) > 1000
    finally:
        server.stop()


def test_restart_loses_no_queued_or_running_job(tmp_path: Path, generator_spec: str) -> None:
    home = tmp_path / "home"
    first: Server = make_server(home, generator_spec, workers=1).start()
    try:
        client = first.client(key := first.key())
        ids = [client.videos.create(prompt=f"a blue cube number {i}", seconds="4").id for i in range(4)]
        store = Store(first.db_url)
        _wait(lambda: "in_progress" in _statuses(store).values(), 60, "the embedded worker to start a job")
    finally:
        stop_process(first.process, signal.SIGKILL)  # API and worker die together, mid-job
    second = make_server(home, generator_spec, workers=1).start()
    try:
        _wait(lambda: set(_statuses(store).values()) == {"completed"}, 120, "every job to complete after restart")
        _assert_completed_exactly_once(store, ids)
        listed = [v.id for v in second.client(key).videos.list(limit=10)]
        assert sorted(listed) == sorted(ids)
    finally:
        second.stop()
