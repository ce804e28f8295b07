"""All media I/O (mp4, wav, webp, jpg) lives here; nothing else touches codecs.

- `write_mp4` / `read_mp4` / `probe`: H.264 + AAC MP4 files (mp4_write, mp4_read, info).
- `write_wav` / `read_wav`: 16-bit PCM WAV (wav).
- `thumbnail` / `spritesheet` / `encode_image` / `decode_image`: stills through Pillow (images).
- `conform`: any clip onto the model's 16 fps / 16 kHz grid (conform; numpy + torch only).

Names resolve on first use, so `phonofilm.media.conform` works where no codec library is installed
(a training-only GPU machine).
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "MediaData": "mp4_read",
    "read_mp4": "mp4_read",
    "write_mp4": "mp4_write",
    "MediaInfo": "info",
    "probe": "info",
    "read_wav": "wav",
    "write_wav": "wav",
    "decode_image": "images",
    "encode_image": "images",
    "spritesheet": "images",
    "thumbnail": "images",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'phonofilm.media' has no attribute {name!r}")
    return getattr(importlib.import_module(f"phonofilm.media.{_WHERE[name]}"), name)
