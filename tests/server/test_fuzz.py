"""Schemathesis fuzzes the published OpenAPI of a running server: no request may get a 5xx."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from serverproc import make_server

pytestmark = pytest.mark.slow


@pytest.fixture
def api_only(tmp_path: Path, generator_spec: str):
    """A server without workers: fuzzed create requests queue up but render nothing."""
    server = make_server(tmp_path / "home", generator_spec, workers=0).start()
    yield server
    server.stop()


def test_schemathesis_finds_no_server_errors(api_only, tmp_path: Path) -> None:
    server = api_only
    st = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")
    assert st, "schemathesis (the `st` command) is not installed"
    command = [
        st, "run", f"{server.url}/openapi.json",
        "--checks", "not_a_server_error",
        "--phases", "fuzzing",  # schemathesis 4 fuzzes until --max-time; ~100 requests a second here
        "--max-examples", "20",
        "--seed", "5",
        "--header", f"Authorization: Bearer {server.key('fuzz')}",
        "--request-timeout", "30",
        "--workers", "2",
        "--max-time", "20",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
