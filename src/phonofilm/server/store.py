"""The durable store: SQLAlchemy tables and engines (SQLite in WAL mode by default, PostgreSQL by URL).

Tables: api_keys, videos (the job rows), characters, events (the webhook outbox). Times are Unix
seconds as floats. Every multi-process decision (claiming a job, completing it) is one conditional
UPDATE whose row count says who won, so the same code is correct on SQLite and PostgreSQL.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

SQLITE_BUSY_TIMEOUT_S = 30.0


class Base(DeclarativeBase):
    pass


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # "key_<hex>", the owner of its videos
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))  # first characters of the secret, to recognise it
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[float] = mapped_column(Float)
    revoked_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    rate_limit_per_minute: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Video(Base):
    """One generation job and its result. `seq` orders listings (created_at has whole-second ties)."""

    __tablename__ = "videos"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    id: Mapped[str] = mapped_column(String(64), unique=True)
    owner: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # create | remix | edit | extend
    model: Mapped[str] = mapped_column(String(64))  # as the client named it
    preset: Mapped[str] = mapped_column(String(32))  # sora-2 | sora-2-pro
    prompt: Mapped[str] = mapped_column(Text)
    seconds: Mapped[str] = mapped_column(String(8))  # of the delivered video (stitched total for extend)
    new_seconds: Mapped[float] = mapped_column(Float)  # newly generated seconds (what is billed)
    size: Mapped[str] = mapped_column(String(16))
    seed: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), index=True)  # queued | in_progress | completed | failed
    progress: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[float] = mapped_column(Float)
    completed_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    expires_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    deleted_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    remixed_from_video_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    source_video_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    source_file_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # uploaded source mp4
    image_file_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    character_ids: Mapped[list] = mapped_column(JSON, default=list)
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(80), nullable=True)
    lease_token: Mapped[str | None] = mapped_column(String(40), nullable=True)
    lease_until: Mapped[float | None] = mapped_column(Float, nullable=True)
    outputs: Mapped[dict] = mapped_column(JSON, default=dict)  # variant -> file id
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)

    __table_args__ = (Index("ix_videos_queue", "status", "lease_until", "seq"),)


class Character(Base):
    __tablename__ = "characters"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(80))
    file_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float)


class Event(Base):
    """A webhook event waiting for (or done with) delivery; written in the transaction that caused it."""

    __tablename__ = "events"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    video_id: Mapped[str] = mapped_column(String(64), ForeignKey("videos.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[float] = mapped_column(Float)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[float] = mapped_column(Float, index=True)
    delivered_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    gave_up: Mapped[bool] = mapped_column(Boolean, default=False)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class Store:
    """Engines and sessions for one database. `write()` transactions take SQLite's write lock up front."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            _sqlite_parent(url).mkdir(parents=True, exist_ok=True)
            self._read_engine = _sqlite_engine(url, immediate=False)
            self._write_engine = _sqlite_engine(url, immediate=True)
        else:
            url = url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
            self._read_engine = self._write_engine = create_engine(url, pool_pre_ping=True, pool_size=10)
        self._read = sessionmaker(self._read_engine, expire_on_commit=False)
        self._write = sessionmaker(self._write_engine, expire_on_commit=False)

    def create_all(self) -> None:
        """Create missing tables (idempotent; safe when several processes start at once)."""
        with contextlib.suppress(Exception):  # a concurrent creator won the race; check below
            Base.metadata.create_all(self._write_engine)
        Base.metadata.create_all(self._write_engine)

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reads (no write lock taken on SQLite)."""
        with self._read() as session:
            yield session

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction that commits on success and rolls back on error."""
        with self._write.begin() as session:
            yield session

    def dispose(self) -> None:
        """Close pooled connections (before a fork, or at shutdown)."""
        self._read_engine.dispose()
        self._write_engine.dispose()


def _sqlite_parent(url: str) -> Path:
    path = url.split("///", 1)[-1]
    return Path(path).parent if path and path != ":memory:" else Path(".")


def _sqlite_engine(url: str, immediate: bool) -> Engine:
    """SQLite in WAL mode; `immediate` transactions lock at BEGIN so concurrent writers wait, never fail."""
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (pysqlite's own is broken)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
