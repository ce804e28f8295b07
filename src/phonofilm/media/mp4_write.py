"""Write MP4 files: H.264 (libx264, yuv420p, BT.709) video and AAC audio, streamable, atomically.

Decisions, so callers know what they get:
- Odd sizes are refused (ValueError): 4:2:0 chroma needs even width and height, and silently padding
  would change the frame size a caller asked for. Every phonofilm preset size is even.
- Audio starts at t = 0: the AAC encoder's priming delay (1024 samples) is written as an MP4 edit list
  (ffmpeg does this for packets with negative timestamps), so players and `read_mp4` drop it. The
  last packet carries the true remaining length and the movie clock counts whole samples and whole
  frames, so the audio track lasts exactly S / sample_rate and the video T / fps.
- Sample rates AAC cannot encode (e.g. 11000 Hz) are resampled to the next rate it can; the 13 standard
  rates (8 kHz to 96 kHz, 16 kHz included) are kept as they are.
- Output bytes are deterministic for the same inputs and library versions: x264 threads are fixed
  (its bitstream depends on the thread count) and no creation time is written.
"""

from __future__ import annotations

import contextlib
import numbers
import os
from collections.abc import Iterator
from fractions import Fraction
from math import gcd, lcm

import av
import numpy as np

from phonofilm.media._arrays import check_audio, check_frames
from phonofilm.media._files import atomic_output

CRF = 20  # visually near-lossless for rendered content, ~10x smaller than crf 0
PRESET = "fast"
X264_THREADS = 4  # fixed, not cpu_count(): x264 output depends on the thread count
AAC_FRAME = 1024  # samples per AAC-LC frame
MAX_FPS_DENOMINATOR = 100_000  # keeps 30000/1001 exact while turning 24.0 into 24/1
MAX_MOVIE_TIMESCALE = 10_000_000  # beyond this (odd fps x odd rate), audio exactness wins
# "+faststart": moov before mdat so the file streams; "+use_metadata_tags": any key round-trips.
MOVFLAGS = "+faststart+use_metadata_tags"


def write_mp4(
    path: str | os.PathLike[str],
    frames: np.ndarray,
    fps: float,
    audio: np.ndarray | None = None,
    sample_rate: int | None = None,
    metadata: dict[str, str] | None = None,
) -> None:
    """Write frames (uint8 [T, H, W, 3], even H and W) and optional audio (float32 [C, S]) as an MP4.

    Video lasts T / fps, audio S / sample_rate (each within one frame). `metadata` becomes container
    tags (title, comment, or any key). Nothing appears at `path` unless the whole file was written.
    """
    frames = check_frames(frames, even=True)
    rate = _frame_rate(fps)
    if audio is not None:
        if sample_rate is None:
            raise ValueError("sample_rate is required when audio is given")
        audio = check_audio(audio, sample_rate)
        audio, sample_rate = _aac_compatible(audio, int(sample_rate))
    tags = _check_metadata(metadata or {})

    with atomic_output(path) as tmp:
        options = {"movflags": MOVFLAGS, "movie_timescale": str(_movie_timescale(rate, sample_rate))}
        container = av.open(str(tmp), "w", format="mp4", container_options=options)
        try:
            container.metadata.update(tags)
            video = _add_video_stream(container, frames.shape[2], frames.shape[1], rate)
            sound = None if audio is None else _add_audio_stream(container, audio.shape[0], sample_rate)
            _encode_streams(container, video, frames, rate, sound, audio, sample_rate)
        except BaseException:
            with contextlib.suppress(Exception):  # the half file is deleted; keep the first error
                container.close()
            raise
        container.close()  # writes the index (moov) and moves it to the front


def _frame_rate(fps: float) -> Fraction:
    if isinstance(fps, bool) or not isinstance(fps, numbers.Real) or not 0 < fps <= 1000:
        raise ValueError(f"fps must be a number in (0, 1000], got {fps!r}")
    exact = fps if isinstance(fps, Fraction) else Fraction(float(fps))
    return exact.limit_denominator(MAX_FPS_DENOMINATOR)


def _movie_timescale(rate: Fraction, sample_rate: int | None) -> int:
    """A clock that counts whole frames and whole samples, so edit lists cut priming and padding exactly.

    ffmpeg's default (1000 ticks/s) rounds each track's length to a millisecond, which would leave up
    to 47 padding samples at 48 kHz (and drops all audio shorter than half a millisecond).
    """
    ticks = rate.numerator if sample_rate is None else lcm(rate.numerator, sample_rate)
    return ticks if ticks <= MAX_MOVIE_TIMESCALE else (sample_rate or 1000)


def _check_metadata(metadata: dict[str, str]) -> dict[str, str]:
    for key, value in metadata.items():
        if not isinstance(key, str) or not key or not key.isprintable() or "=" in key:
            raise ValueError(f"metadata keys must be non-empty printable strings without '=', got {key!r}")
        if not isinstance(value, str) or "\x00" in value:
            raise ValueError(f"metadata[{key!r}] must be a string without NUL characters, got {value!r}")
    return dict(metadata)


def _aac_compatible(audio: np.ndarray, sample_rate: int) -> tuple[np.ndarray, int]:
    """Resample to the next rate the AAC encoder supports, only when `sample_rate` is not one."""
    rates = sorted(av.codec.Codec("aac", "w").audio_rates or ())
    if sample_rate in rates:
        return audio, sample_rate
    from scipy.signal import resample_poly  # 0.8 s to import; only this rare path needs it

    target = next((r for r in rates if r > sample_rate), rates[-1])
    divisor = gcd(target, sample_rate)
    resampled = resample_poly(audio, target // divisor, sample_rate // divisor, axis=1)
    return np.clip(resampled, -1.0, 1.0).astype(np.float32), target


def _add_video_stream(container: av.container.OutputContainer, width: int, height: int, rate: Fraction):
    stream = container.add_stream(
        "libx264", rate=rate, options={"crf": str(CRF), "preset": PRESET, "threads": str(X264_THREADS)}
    )
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    ctx = stream.codec_context
    ctx.time_base = 1 / rate  # one tick per frame: frame i has pts i
    ctx.gop_size = max(1, round(2 * rate))  # a keyframe every 2 s keeps seeking cheap
    # Tag what the pixels are (BT.709, limited range) so players don't guess BT.601.
    ctx.colorspace = ctx.color_primaries = ctx.color_trc = 1  # AVCOL_*_BT709
    ctx.color_range = 1  # AVCOL_RANGE_MPEG
    return stream


def _add_audio_stream(container: av.container.OutputContainer, channels: int, sample_rate: int):
    stream = container.add_stream("aac", rate=sample_rate, layout="stereo" if channels == 2 else "mono")
    # 96 kb/s per channel (192 stereo), capped at AAC's 6144 bits per channel per frame for low rates.
    stream.bit_rate = min(96_000 * channels, 6144 * channels * sample_rate // AAC_FRAME)
    stream.codec_context.time_base = Fraction(1, sample_rate)
    return stream


def _encode_streams(
    container: av.container.OutputContainer,
    video,
    frames: np.ndarray,
    rate: Fraction,
    sound,
    audio: np.ndarray | None,
    sample_rate: int | None,
) -> None:
    """Encode both streams in time order so the muxer can interleave them into short chunks."""
    chunks = iter(()) if audio is None else _audio_frames(audio, sample_rate)
    audio_until = 0  # samples of audio encoded so far (rounded up to whole AAC frames)
    for index, rgb in enumerate(frames):  # rgb: [H, W, 3]
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        frame = frame.reformat(format="yuv420p", dst_colorspace="ITU709", dst_color_range="MPEG")
        frame.pts = index
        container.mux(video.encode(frame))
        if sound is not None:
            frame_end = (index + 1) * sample_rate / rate
            while audio_until < frame_end and (chunk := next(chunks, None)) is not None:
                container.mux(sound.encode(chunk))
                audio_until += AAC_FRAME
    container.mux(video.encode(None))
    if sound is not None:
        for chunk in chunks:
            container.mux(sound.encode(chunk))
        container.mux(sound.encode(None))


def _audio_frames(audio: np.ndarray, sample_rate: int) -> Iterator[av.AudioFrame]:
    layout = "stereo" if audio.shape[0] == 2 else "mono"
    for start in range(0, audio.shape[1], AAC_FRAME):
        chunk = np.ascontiguousarray(audio[:, start : start + AAC_FRAME])  # [C, <=1024], last may be short
        frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
        frame.sample_rate, frame.pts = sample_rate, start  # pts in samples (time_base 1/sample_rate)
        yield frame
