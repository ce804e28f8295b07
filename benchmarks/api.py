"""API latency under load: p50/p99 of create and retrieve with N concurrent clients on loopback.

Starts a real `phonofilm serve` (no workers, so created jobs only queue: this measures the API and the
job store, not generation) on an empty data directory, then runs `--clients` concurrent clients that
each create `--rounds` videos and retrieve each one. Writes JSON to --out.

Usage: python benchmarks/api.py [--clients 100] [--rounds 5] [--db postgresql://...] [--out benchmarks/results/api.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from phonofilm.server.keys import create_key
from phonofilm.server.settings import Settings
from phonofilm.server.store import Store


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(home: Path, port: int, db: str) -> subprocess.Popen:
    env = {**os.environ, "PHONOFILM_HOME": str(home), "PHONOFILM_DATABASE_URL": db,
           "PHONOFILM_RATE_LIMIT_PER_MINUTE": "0"}
    process = subprocess.Popen([sys.executable, "-m", "phonofilm.cli.serve", "serve", "--port", str(port),
                                "--workers", "0"], env=env, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    os.killpg(process.pid, signal.SIGTERM)
    raise RuntimeError("the server did not start within 60 s")


async def _client(http: httpx.AsyncClient, rounds: int, creates: list[float], reads: list[float]) -> None:
    for i in range(rounds):
        start = time.perf_counter()
        response = await http.post("/v1/videos", json={"prompt": f"a red ball {i}", "seconds": "4"})
        creates.append(time.perf_counter() - start)
        response.raise_for_status()
        start = time.perf_counter()
        (await http.get(f"/v1/videos/{response.json()['id']}")).raise_for_status()
        reads.append(time.perf_counter() - start)


async def _load(base_url: str, key: str, clients: int, rounds: int) -> tuple[list[float], list[float], float]:
    creates: list[float] = []
    reads: list[float] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {key}"},
                                 limits=limits, timeout=120) as http:
        start = time.perf_counter()
        await asyncio.gather(*(_client(http, rounds, creates, reads) for _ in range(clients)))
        return creates, reads, time.perf_counter() - start


def _stats(samples: list[float]) -> dict[str, float]:
    ms = np.asarray(samples) * 1000
    return {"n": int(ms.size), "p50_ms": round(float(np.percentile(ms, 50)), 2),
            "p99_ms": round(float(np.percentile(ms, 99)), 2), "max_ms": round(float(ms.max()), 2)}


def main() -> None:
    """Run the benchmark and write its JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--db", default="", help="database URL (default: SQLite in a fresh temp home)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/api.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        settings = Settings.from_env({}, home=home, database_url=args.db or None)
        store = Store(settings.db_url)
        store.create_all()
        _, key = create_key(store, "bench")
        port = _free_port()
        server = _start(home, port, args.db)
        try:
            creates, reads, wall = asyncio.run(_load(f"http://127.0.0.1:{port}", key, args.clients, args.rounds))
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    result = {
        "benchmark": "api", "clients": args.clients, "rounds": args.rounds,
        "database": "postgresql" if args.db.startswith("postgres") else "sqlite",
        "create": _stats(creates), "retrieve": _stats(reads),
        "requests_per_second": round(2 * len(creates) / wall, 1),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
