"""WAV read and write (PCM) through the standard `wave` module."""

from __future__ import annotations

import os
import struct
import wave

import numpy as np

from phonofilm.media._arrays import check_audio
from phonofilm.media._files import atomic_output, local_file

DEFAULT_MAX_BYTES = 1 << 30  # decoded float32 samples held in memory
MAX_CHANNELS = 64  # refuses nonsense headers before reading; real files have 1-8
# Integer PCM widths the `wave` module reads, as (numpy dtype, full-scale value).
_PCM = {1: (np.uint8, 128.0), 2: (np.dtype("<i2"), 32768.0), 4: (np.dtype("<i4"), 2147483648.0)}


def write_wav(path: str | os.PathLike[str], audio: np.ndarray, sample_rate: int) -> None:
    """Write float32 [C, S] audio in [-1, 1] as 16-bit PCM WAV (clipping overshoots), atomically."""
    audio = check_audio(audio, sample_rate, max_channels=MAX_CHANNELS)
    pcm = np.round(audio * 32767.0).astype("<i2")  # [C, S]
    with atomic_output(path) as tmp, wave.open(str(tmp), "wb") as out:
        out.setnchannels(audio.shape[0])
        out.setsampwidth(2)
        out.setframerate(int(sample_rate))
        out.writeframes(pcm.T.tobytes())  # WAV interleaves channels: [S, C]


def read_wav(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[np.ndarray, int]:
    """Read a PCM WAV (8/16/24/32-bit integer) as float32 [C, S] in [-1, 1] and its sample rate."""
    local = local_file(path)
    try:
        with wave.open(str(local), "rb") as src:
            channels, width, rate, count = (
                src.getnchannels(),
                src.getsampwidth(),
                src.getframerate(),
                src.getnframes(),
            )
            if not 1 <= channels <= MAX_CHANNELS or rate <= 0 or width not in (1, 2, 3, 4):
                raise ValueError(
                    f"{local}: unsupported WAV ({channels} channels, {width}-byte samples, {rate} Hz)"
                )
            if 4 * channels * count > max_bytes:
                raise ValueError(
                    f"{local}: {count} frames x {channels} channels exceed max_bytes={max_bytes}"
                )
            raw = src.readframes(count)
    except (wave.Error, EOFError, RuntimeError, struct.error) as err:  # `wave` raises all of these
        raise ValueError(f"{local} is not a readable PCM WAV file: {err}") from err
    usable = len(raw) // (width * channels) * width * channels
    if usable < count * width * channels:
        raise ValueError(
            f"{local} is truncated: header lists {count} frames, data holds {usable // width // channels}"
        )
    interleaved = _pcm_to_float(raw[:usable], width)  # [S * C]
    return np.ascontiguousarray(interleaved.reshape(-1, channels).T), rate  # [C, S]


def _pcm_to_float(raw: bytes, width: int) -> np.ndarray:
    if width == 3:  # no numpy 24-bit type: widen each little-endian triple into the top of an int32
        triples = np.frombuffer(raw, np.uint8).reshape(-1, 3)
        wide = np.zeros((triples.shape[0], 4), np.uint8)
        wide[:, 1:] = triples
        return (wide.view("<i4")[:, 0] / 2147483648.0).astype(np.float32)
    dtype, scale = _PCM[width]
    values = np.frombuffer(raw, dtype).astype(np.float32)
    if width == 1:  # 8-bit WAV is unsigned, centred on 128
        values -= 128.0
    return values / np.float32(scale)
