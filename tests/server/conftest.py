"""Fixtures for the server tests. `generator_spec` is the one place that says how test workers build
their generator; `serverproc` starts the real processes.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from serverproc import Server, make_server


@pytest.fixture(scope="session")
def generator_spec() -> str:
    """How test workers build their generator: the world oracle, rendered small and upscaled (fast)."""
    return os.environ.get("PHONOFILM_TEST_GENERATOR", "oracle:fps=4,max_side=128,sample_rate=16000")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, generator_spec: str) -> Iterator[Server]:
    """One running server with one embedded worker, shared by the tests that need no special setup."""
    running = make_server(tmp_path_factory.mktemp("home"), generator_spec).start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    """PostgreSQL to test against: PHONOFILM_TEST_PG_URL (CI starts one with .ci/postgres.sh)."""
    url = os.environ.get("PHONOFILM_TEST_PG_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("PHONOFILM_TEST_PG_URL is unset in CI: .ci/run must export it from `bash .ci/postgres.sh`")
        pytest.skip(
            "PostgreSQL tests need PHONOFILM_TEST_PG_URL; start one with "
            "`export PHONOFILM_TEST_PG_URL=$(bash .ci/postgres.sh)`"
        )
    return url


@pytest.fixture
def pg_url(pg_admin_url: str) -> Iterator[str]:
    """A fresh, empty database on that server, dropped afterwards."""
    import psycopg

    name = f"phonofilm_test_{uuid.uuid4().hex[:10]}"
    admin = pg_admin_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield admin.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
