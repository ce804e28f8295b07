"""Real servers and workers as processes, on loopback, each with its own empty PHONOFILM_HOME."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import openai

from phonofilm.server.keys import create_key
from phonofilm.server.store import Store

# Fast-moving jobs for tests: short leases and polls. Production defaults are in Settings.
TEST_ENV = {
    "PHONOFILM_POLL_AFTER_MS": "100",
    "PHONOFILM_LEASE_SECONDS": "3",
    "PHONOFILM_HEARTBEAT_SECONDS": "0.5",
    "PHONOFILM_WORKER_POLL_SECONDS": "0.1",
    "PHONOFILM_RATE_LIMIT_PER_MINUTE": "100000",
}


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 15.0) -> None:
    """Signal a process group we started (server plus its worker children) and wait for it."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@dataclass
class Server:
    """A `phonofilm serve` process and how to reach it."""

    home: Path
    env: dict[str, str]
    workers: int = 1
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    extra_workers: list[subprocess.Popen] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def db_url(self) -> str:
        return self.env.get("PHONOFILM_DATABASE_URL") or f"sqlite:///{self.home / 'phonofilm.db'}"

    def start(self) -> Server:
        log = open(self.home / f"serve-{self.port}.log", "ab")  # noqa: SIM115  (the process owns it)
        command = [sys.executable, "-m", "phonofilm.cli.serve", "serve", "--port", str(self.port),
                   "--workers", str(self.workers)]
        self.process = subprocess.Popen(command, env=self.env, stdout=log, stderr=log, start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}; see {log.name}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not answer /health within 60 s; see {log.name}")

    def start_worker(self) -> subprocess.Popen:
        """One more worker process on the same store."""
        log = open(self.home / "workers.log", "ab")  # noqa: SIM115
        command = [sys.executable, "-m", "phonofilm.cli.serve", "worker"]
        worker = subprocess.Popen(command, env=self.env, stdout=log, stderr=log, start_new_session=True)
        self.extra_workers.append(worker)
        return worker

    def stop(self) -> None:
        for worker in self.extra_workers:
            stop_process(worker)
        self.extra_workers.clear()
        if self.process is not None:
            stop_process(self.process)

    def key(self, name: str | None = None, rate_limit: int | None = None) -> str:
        """A new API key's secret."""
        store = Store(self.db_url)
        store.create_all()
        _, secret = create_key(store, name or f"test-{uuid.uuid4().hex[:6]}", rate_limit)
        store.dispose()
        return secret

    def client(self, key: str, **options: object) -> openai.OpenAI:
        """The official SDK pointed at this server (no automatic retries unless asked)."""
        return openai.OpenAI(base_url=self.url + "/v1", api_key=key, **{"max_retries": 0, **options})


def make_server(home: Path, generator_spec: str, workers: int = 1, **env: str) -> Server:
    """A not-yet-started server on an empty data directory."""
    home.mkdir(parents=True, exist_ok=True)
    full_env = {**os.environ, **TEST_ENV, "PHONOFILM_HOME": str(home), "PHONOFILM_GENERATOR": generator_spec, **env}
    return Server(home=home, env=full_env, workers=workers)
