"""File storage for uploads and outputs, addressed only by opaque ids (never by a client-given name).

`LocalStorage` keeps files under one directory (`PHONOFILM_HOME/files`), fanned out by the id's first
hex digits. Another backend (an object store) implements the same four methods.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
from pathlib import Path
from typing import Protocol

_ID = re.compile(r"^file_[0-9a-f]{32}$")


class Storage(Protocol):
    """Where uploads and outputs live."""

    def allocate(self) -> tuple[str, Path]:
        """A fresh file id and the local path to write it to."""
        ...

    def put(self, data: bytes) -> str:
        """Store bytes; return their new file id."""
        ...

    def path(self, file_id: str) -> Path:
        """The local path of an existing file; FileNotFoundError if there is none."""
        ...

    def copy(self, file_id: str) -> str:
        """A new id holding the same bytes (a job keeps its inputs even if their owner deletes them)."""
        ...

    def delete(self, file_id: str) -> None:
        """Remove a file if it exists."""
        ...


class LocalStorage:
    """Files on the local disk under `root` (shared by every process that shares the data directory)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _location(self, file_id: str) -> Path:
        if not _ID.match(file_id):  # ids come from our database, but never let one name a path
            raise FileNotFoundError(f"not a file id: {file_id!r}")
        return self.root / file_id[5:7] / file_id

    def allocate(self) -> tuple[str, Path]:
        """A fresh file id and the path to write it to (its folder exists)."""
        file_id = f"file_{secrets.token_hex(16)}"
        location = self._location(file_id)
        location.parent.mkdir(parents=True, exist_ok=True)
        return file_id, location

    def put(self, data: bytes) -> str:
        """Store `data` atomically under a new id."""
        file_id, location = self.allocate()
        partial = location.with_suffix(".part")
        partial.write_bytes(data)
        os.replace(partial, location)
        return file_id

    def path(self, file_id: str) -> Path:
        """The path of `file_id`; FileNotFoundError when it was never stored or has been deleted."""
        location = self._location(file_id)
        if not location.is_file():
            raise FileNotFoundError(f"no stored file {file_id}")
        return location

    def copy(self, file_id: str) -> str:
        """A new id for the same bytes: a hard link where the disk allows it, else a copy."""
        source = self.path(file_id)
        new_id, location = self.allocate()
        try:
            os.link(source, location)
        except OSError:
            shutil.copyfile(source, location)
        return new_id

    def delete(self, file_id: str) -> None:
        """Remove `file_id` (no error if it is already gone)."""
        with contextlib.suppress(FileNotFoundError):
            self._location(file_id).unlink()
