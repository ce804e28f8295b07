"""`keys create|list|revoke`, `usage` and `worker` as a user runs them (real processes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from serverproc import make_server


def _cli(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "PHONOFILM_HOME": str(home), **env}
    return subprocess.run([sys.executable, "-m", "phonofilm.cli.serve", *args], env=full_env,
                          capture_output=True, text=True, timeout=60)


def test_keys_lifecycle_and_usage(tmp_path: Path, generator_spec: str) -> None:
    home = tmp_path / "home"
    made = _cli(home, "keys", "create", "--name", "ci-bot")
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    assert secret.startswith("pf-") and "ci-bot" in made.stderr
    listed = _cli(home, "keys", "list")
    assert "ci-bot" in listed.stdout and secret[:10] in listed.stdout and secret not in listed.stdout
    server = make_server(home, generator_spec, workers=0).start()
    try:
        ok = httpx.get(server.url + "/v1/videos", headers={"Authorization": f"Bearer {secret}"})
        assert ok.status_code == 200
        assert _cli(home, "keys", "revoke", "ci-bot").returncode == 0
        refused = httpx.get(server.url + "/v1/videos", headers={"Authorization": f"Bearer {secret}"})
        assert refused.status_code == 401
    finally:
        server.stop()
    missing = _cli(home, "keys", "revoke", "nobody")
    assert missing.returncode == 2 and "no active key" in missing.stderr
    usage = _cli(home, "usage")
    assert usage.returncode == 0 and json.loads(usage.stdout) == {}


@pytest.mark.parametrize(("spec", "words"), [("magic", "checkpoint:PATH"), ("oracle:speed=1", "unknown oracle option")])
def test_worker_refuses_a_bad_generator_spec(tmp_path: Path, spec: str, words: str) -> None:
    result = _cli(tmp_path / "home", "worker", "--generator", spec)
    assert result.returncode == 2 and words in result.stderr


def test_settings_errors_are_one_line(tmp_path: Path) -> None:
    result = _cli(tmp_path / "home", "keys", "list", PHONOFILM_LEASE_SECONDS="soon")
    assert result.returncode == 2 and "PHONOFILM_LEASE_SECONDS='soon' is not a valid float" in result.stderr
