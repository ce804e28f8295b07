"""Safe file handling shared by every writer and reader: atomic outputs, local-only inputs."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import av

# Anything that looks like "scheme:" (http:, file:, concat:, subfile,, pipe:) is an ffmpeg protocol, not a path.
_PROTOCOL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*[:,]")

# Only the ISO-BMFF demuxer: a forced format stops a file named .mp4 from being read as an HLS/concat
# playlist, the classic way to make ffmpeg open other files or URLs.
_MP4_DEMUXER = "mov"
_INPUT_OPTIONS = {"protocol_whitelist": "file", "enable_drefs": "0"}


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success move it onto `path`, on error delete it.

    The temporary file is created by the writer (not by us) so it gets the usual permissions.
    """
    target = Path(path)
    if not target.parent.is_dir():
        raise FileNotFoundError(f"cannot write {target}: folder {target.parent} does not exist")
    if target.is_dir():
        raise IsADirectoryError(f"cannot write {target}: it is a folder")
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.part")
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def local_file(path: str | os.PathLike[str]) -> Path:
    """Return `path` as an absolute local path of an existing regular file, refusing URLs and protocols."""
    text = os.fspath(path)
    if _PROTOCOL.match(text) and not Path(text).is_file():
        raise ValueError(f"refusing {text!r}: only local files can be read, not URLs or ffmpeg protocols")
    local = Path(text).absolute()
    if not local.exists():
        raise FileNotFoundError(f"no such file: {local}")
    if not local.is_file():
        raise ValueError(f"{local} is not a regular file")
    return local


def open_mp4(path: str | os.PathLike[str]) -> av.container.InputContainer:
    """Open a local MP4/MOV file for reading with file-only protocols; ValueError if it is not one."""
    local = local_file(path)
    try:
        # An absolute path starts with "/", so ffmpeg never parses a protocol out of it.
        return av.open(str(local), "r", format=_MP4_DEMUXER, container_options=dict(_INPUT_OPTIONS))
    except av.FFmpegError as err:
        raise ValueError(f"{local} is not a readable MP4 file: {err}") from err
