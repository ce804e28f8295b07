"""Describe an MP4 file from its header alone (no frame is decoded)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from phonofilm.media._files import local_file, open_mp4


@dataclass(frozen=True)
class MediaInfo:
    """What an MP4 holds: sizes, rates, counts, codecs and container tags."""

    width: int
    height: int
    fps: float
    frame_count: int
    duration: float  # seconds of video
    has_audio: bool
    audio_channels: int  # 0 without audio
    sample_rate: int | None
    video_codec: str
    audio_codec: str | None
    metadata: dict[str, str]


def probe(path: str | os.PathLike[str]) -> MediaInfo:
    """Read sizes, rates, frame count, duration and codecs of a local MP4 without decoding it."""
    local = local_file(path)
    with open_mp4(local) as container:
        if not container.streams.video:
            raise ValueError(f"{local} has no video stream")
        video = container.streams.video[0]
        rate = video.average_rate or video.guessed_rate
        if not rate:
            raise ValueError(f"{local}: the video stream declares no frame rate")
        duration = _video_duration(video, container.duration)
        # mp4 headers list every sample, so `frames` is exact; fall back to duration x rate otherwise.
        count = video.frames or round(duration * rate)
        audio = container.streams.audio[0] if container.streams.audio else None
        return MediaInfo(
            width=video.codec_context.width,
            height=video.codec_context.height,
            fps=float(rate),
            frame_count=int(count),
            duration=duration,
            has_audio=audio is not None,
            audio_channels=0 if audio is None else audio.codec_context.channels,
            sample_rate=None if audio is None else audio.codec_context.sample_rate,
            video_codec=video.codec_context.codec.canonical_name,
            audio_codec=None if audio is None else audio.codec_context.codec.canonical_name,
            metadata=dict(container.metadata),
        )


def _video_duration(video, container_duration: int | None) -> float:
    if video.duration is not None and video.time_base:
        return float(video.duration * video.time_base)
    return (container_duration or 0) / 1_000_000  # AV_TIME_BASE is microseconds
