"""Read MP4 files safely: local files only, known codecs only, bounded memory, truncation detected.

The returned audio is aligned to the video: sample 0 plays with frame 0. Encoder priming (AAC's 1024
samples) is removed through the file's edit list, and the track is cut to its declared duration, so a
file from `write_mp4` gives back exactly the samples that were written (up to coding noise).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import av
import numpy as np

from phonofilm.media._files import local_file, open_mp4

DEFAULT_MAX_FRAMES = 90 * 60  # the longest clip (90 s) at 60 fps
DEFAULT_MAX_PIXELS = 3840 * 2160  # 4K UHD per frame
DEFAULT_MAX_BYTES = 4 << 30  # decoded frames + audio held in memory
# Other muxers round track lengths to their movie clock (1/1000 s, 1/600 s): a shortfall below this is
# rounding, not a missing packet.
TRUNCATION_SLACK = 0.002  # seconds
# Decoders that real uploads need; every other ffmpeg decoder (hundreds, some rarely fuzzed) is refused.
VIDEO_CODECS = frozenset({"h264", "hevc", "av1", "vp9", "mpeg4"})
AUDIO_CODECS = frozenset({"aac", "mp3", "opus", "alac", "flac", "pcm_s16le", "pcm_s24le", "pcm_f32le"})


@dataclass(frozen=True, eq=False)
class MediaData:
    """A decoded MP4: frames uint8 [T, H, W, 3]; audio float32 [C, S] aligned to frame 0, or None."""

    frames: np.ndarray
    audio: np.ndarray | None
    fps: float
    sample_rate: int | None
    duration: float  # seconds of video: T / fps
    metadata: dict[str, str]


@dataclass(frozen=True)
class _Limits:
    max_frames: int
    max_pixels: int
    max_bytes: int


def read_mp4(
    path: str | os.PathLike[str],
    *,
    max_frames: int = DEFAULT_MAX_FRAMES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> MediaData:
    """Decode a local MP4 (video and, if present, audio); ValueError naming the file if it is bad.

    Refused: URLs and ffmpeg protocols, files without video, codecs outside VIDEO_CODECS/AUDIO_CODECS,
    more than `max_frames` frames, frames over `max_pixels`, more than `max_bytes` decoded, and
    truncated or corrupt files.
    """
    local = local_file(path)
    limits = _Limits(max_frames, max_pixels, max_bytes)
    with open_mp4(local) as container:
        video, audio = _pick_streams(container, limits, local)
        reader = _Reader(video, audio, limits, local)
        try:
            for packet in container.demux(*reader.streams):
                reader.feed(packet)
        except av.FFmpegError as err:
            raise ValueError(f"{local} is corrupt or truncated: {err}") from err
        reader.check_complete()
        rate = float(video.average_rate or video.guessed_rate)
        frames = reader.frames()
        return MediaData(
            frames=frames,
            audio=reader.audio(),
            fps=rate,
            sample_rate=None if audio is None else audio.codec_context.sample_rate,
            duration=frames.shape[0] / rate,
            metadata=dict(container.metadata),
        )


def _pick_streams(container: av.container.InputContainer, limits: _Limits, local: os.PathLike[str]):
    """First video and first audio stream, after checking codecs and declared sizes against the limits."""
    if not container.streams.video:
        raise ValueError(f"{local} has no video stream")
    video = container.streams.video[0]
    audio = container.streams.audio[0] if container.streams.audio else None
    for stream, allowed in ((video, VIDEO_CODECS), (audio, AUDIO_CODECS)):
        # canonical_name is the format ("mp3"), not whichever decoder ffmpeg picked ("mp3float").
        if stream is not None and stream.codec_context.codec.canonical_name not in allowed:
            name = stream.codec_context.codec.canonical_name
            raise ValueError(f"{local}: {stream.type} codec {name!r} is not one of {sorted(allowed)}")
    if not (video.average_rate or video.guessed_rate):
        raise ValueError(f"{local}: the video stream declares no frame rate")
    width, height = video.codec_context.width, video.codec_context.height
    if width <= 0 or height <= 0:
        raise ValueError(f"{local}: the video stream declares no frame size")
    if width * height > limits.max_pixels:
        raise ValueError(f"{local}: {width}x{height} frames exceed max_pixels={limits.max_pixels}")
    if video.frames > limits.max_frames:
        raise ValueError(f"{local}: {video.frames} frames exceed max_frames={limits.max_frames}")
    return video, audio


class _Reader:
    """Decodes packets into preallocated frames and a list of audio chunks, enforcing the limits."""

    def __init__(self, video, audio, limits: _Limits, local: os.PathLike[str]) -> None:
        self.video, self.audio_stream, self.limits, self.local = video, audio, limits, local
        self.streams = [video] if audio is None else [video, audio]
        self.ends = {stream.index: 0 for stream in self.streams}  # latest packet end, in stream ticks
        self.count, self.used_bytes = 0, 0
        self.video_start: float | None = None
        self.audio_start: float | None = None
        self.chunks: list[np.ndarray] = []  # each [C, n] float32
        self.resampler: av.AudioResampler | None = None
        width, height = video.codec_context.width, video.codec_context.height
        # np.empty only reserves address space; pages are touched as frames arrive.
        capacity = min(video.frames or limits.max_frames, limits.max_bytes // max(1, 3 * width * height))
        self.buffer = np.empty((capacity, height, width, 3), np.uint8)  # [T, H, W, 3]

    def feed(self, packet: av.Packet) -> None:
        if packet.size and packet.pts is not None:  # the final empty packet only flushes the decoder
            end = packet.pts + (packet.duration or 0)
            self.ends[packet.stream.index] = max(self.ends[packet.stream.index], end)
        for frame in packet.decode():
            if packet.stream is self.video:
                self._add_video(frame)
            else:
                self._add_audio(frame)

    def _spend(self, nbytes: int) -> None:
        self.used_bytes += nbytes
        if self.used_bytes > self.limits.max_bytes:
            raise ValueError(f"{self.local}: decoding needs more than max_bytes={self.limits.max_bytes}")

    def _add_video(self, frame: av.VideoFrame) -> None:
        _, height, width, _ = self.buffer.shape
        if (frame.width, frame.height) != (width, height):
            raise ValueError(
                f"{self.local}: frame size changes mid-stream ({width}x{height} -> {frame.width}x{frame.height})"
            )
        if self.count >= self.limits.max_frames:
            raise ValueError(f"{self.local}: more than max_frames={self.limits.max_frames} frames")
        self._spend(3 * width * height)  # before the capacity check: capacity may be set by max_bytes
        if self.count >= self.buffer.shape[0]:
            raise ValueError(f"{self.local}: more frames than the header declares ({self.buffer.shape[0]})")
        # rgb24 conversion honours the frame's colorspace tags (BT.709 for our files).
        self.buffer[self.count] = frame.to_ndarray(format="rgb24")
        self.count += 1
        if self.video_start is None:
            self.video_start = frame.time or 0.0

    def _add_audio(self, frame: av.AudioFrame) -> None:
        if frame.sample_rate != self.audio_stream.codec_context.sample_rate:
            raise ValueError(f"{self.local}: the audio sample rate changes mid-stream")
        if self.audio_start is None:
            self.audio_start = frame.time or 0.0
        if frame.format.name != "fltp":  # e.g. mp3 (s16p) or pcm (s16): convert, same rate, no delay
            self.resampler = self.resampler or av.AudioResampler(format="fltp", layout=frame.layout)
            converted = self.resampler.resample(frame)
        else:
            converted = [frame]
        for part in converted:
            samples = part.to_ndarray()  # [C, n] float32
            if self.chunks and samples.shape[0] != self.chunks[0].shape[0]:
                raise ValueError(f"{self.local}: the number of audio channels changes mid-stream")
            self._spend(samples.nbytes)
            self.chunks.append(samples)

    def check_complete(self) -> None:
        """Raise if a stream's packets end before the duration its header declares, or no frame decoded.

        A file cut at a packet boundary demuxes without any error, so this is how truncation shows.
        """
        for stream in self.streams:
            if stream.duration and stream.time_base:
                declared = (stream.start_time or 0) + stream.duration
                if self.ends[stream.index] < declared - TRUNCATION_SLACK / stream.time_base:
                    present, total = (
                        float(t * stream.time_base) for t in (self.ends[stream.index], declared)
                    )
                    raise ValueError(
                        f"{self.local} is truncated: its {stream.type} track should last until "
                        f"{total:.3f} s but the data ends at {present:.3f} s"
                    )
        if self.count == 0:
            raise ValueError(f"{self.local}: no video frame could be decoded")

    def frames(self) -> np.ndarray:
        return self.buffer[: self.count]

    def audio(self) -> np.ndarray | None:
        """All audio as float32 [C, S], cut to the declared duration and shifted so sample 0 is frame 0."""
        if self.audio_stream is None or not self.chunks:
            return None
        samples = np.concatenate(self.chunks, axis=1)  # [C, S]
        stream, rate = self.audio_stream, self.audio_stream.codec_context.sample_rate
        if stream.duration and stream.time_base:
            # The last AAC frame is padded to 1024 samples; the declared duration knows the true end.
            samples = samples[:, : round(stream.duration * stream.time_base * rate)]
        shift = round(((self.audio_start or 0.0) - (self.video_start or 0.0)) * rate)
        if shift > 0:  # audio starts after the first frame: pad silence in front
            samples = np.pad(samples, ((0, 0), (shift, 0)))
        elif shift < 0:  # audio starts before the first frame: drop what plays before it
            samples = samples[:, -shift:]
        return np.ascontiguousarray(samples, dtype=np.float32)
