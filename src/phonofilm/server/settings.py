"""Server settings: one frozen dataclass, read from the environment only when asked (`from_env`).

Every field can be set by an environment variable named PHONOFILM_<FIELD> (upper case), e.g.
PHONOFILM_HOME, PHONOFILM_DATABASE_URL, PHONOFILM_GENERATOR. All state lives under `home`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ENV_PREFIX = "PHONOFILM_"


def default_home(env: Mapping[str, str]) -> Path:
    """$XDG_DATA_HOME/phonofilm, else ~/.local/share/phonofilm."""
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "phonofilm"


@dataclass(frozen=True)
class Settings:
    """Everything a server or worker process needs to know; `home` holds the database, files and keys."""

    home: Path
    database_url: str = ""  # empty: SQLite (WAL) at home/phonofilm.db
    generator: str = "default"  # how workers build their generator: "default" (the shipped model),
    # "checkpoint:PATH" or "oracle[:k=v,...]" (the world's ground-truth renderer, for references and tests)
    auth: bool = True  # require an API key on every /v1 request
    poll_after_ms: int = 1000  # `openai-poll-after-ms` on retrieve while a video is not finished
    lease_seconds: float = 60.0  # a claimed job returns to the queue this long after its last heartbeat
    heartbeat_seconds: float = 5.0
    max_attempts: int = 3  # claims of one job before it fails as `worker_lost`
    worker_poll_seconds: float = 0.5  # idle wait between looks at the queue
    retention_seconds: int = 7 * 24 * 3600  # outputs expire this long after completion
    sweep_seconds: float = 60.0  # how often a worker deletes expired outputs
    rate_limit_per_minute: int = 600  # requests per key per minute (a key may carry its own)
    max_request_bytes: int = 64 << 20  # whole request body
    max_upload_bytes: int = 50 << 20  # one uploaded file
    max_image_pixels: int = 3840 * 2160
    max_upload_seconds: float = 120.0  # uploaded videos (edit / extend sources)
    max_character_seconds: float = 10.0  # character recordings
    webhook_url: str = ""  # where `video.completed` / `video.failed` are POSTed; empty: none
    webhook_secret: str = ""  # "whsec_<base64>"; required with webhook_url
    webhook_max_attempts: int = 8
    webhook_retry_base_seconds: float = 5.0  # first retry delay; each next one waits 5x longer

    @property
    def db_url(self) -> str:
        """The SQLAlchemy URL of the job store."""
        return self.database_url or f"sqlite:///{self.home / 'phonofilm.db'}"

    @property
    def files_dir(self) -> Path:
        """Uploaded inputs and generated outputs, by opaque id."""
        return self.home / "files"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from PHONOFILM_* variables of `env` (default os.environ), then `overrides` (None = unset)."""
        env = os.environ if env is None else env
        values: dict[str, object] = {"home": Path(env.get(ENV_PREFIX + "HOME") or default_home(env))}
        for field in dataclasses.fields(cls):
            raw = env.get(ENV_PREFIX + field.name.upper())
            if field.name != "home" and raw is not None and raw != "":
                values[field.name] = _parse(field.name, field.type, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        values["home"] = Path(values["home"]).expanduser().absolute()  # type: ignore[arg-type]
        settings = cls(**values)  # type: ignore[arg-type]
        settings.validate()
        return settings

    def validate(self) -> None:
        """Raise ValueError naming the setting that cannot work."""
        if self.webhook_url and not self.webhook_secret.startswith("whsec_"):
            raise ValueError("PHONOFILM_WEBHOOK_SECRET must be set to 'whsec_<base64>' when a webhook URL is set")
        if self.heartbeat_seconds * 2 > self.lease_seconds:
            raise ValueError(
                f"lease_seconds ({self.lease_seconds}) must be at least twice heartbeat_seconds "
                f"({self.heartbeat_seconds}) so a live worker never loses its lease"
            )
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts}")


def _parse(name: str, type_name: object, raw: str) -> object:
    """Turn an environment string into the field's type, naming the variable when it cannot."""
    kind = str(type_name)
    try:
        if kind == "bool":
            if raw.lower() not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                raise ValueError(raw)
            return raw.lower() in ("1", "true", "yes", "on")
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
    except ValueError:
        raise ValueError(f"{ENV_PREFIX}{name.upper()}={raw!r} is not a valid {kind}") from None
    return raw
