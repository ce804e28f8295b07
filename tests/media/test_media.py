"""Media I/O on real files: every file written here is decoded back and compared with its input."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from phonofilm.media import (
    decode_image,
    encode_image,
    probe,
    read_mp4,
    read_wav,
    spritesheet,
    thumbnail,
    write_mp4,
    write_wav,
)

FPS = 24.0


def moving_pattern(frames: int, height: int, width: int) -> np.ndarray:
    """Smooth gradients with two soft blobs moving across: uint8 [T, H, W, 3]."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    out = np.empty((frames, height, width, 3), np.uint8)
    for t in range(frames):
        cx, cy = width * (0.2 + 0.6 * t / frames), height * (0.7 - 0.4 * t / frames)
        blob = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * (0.12 * min(height, width)) ** 2))
        blob2 = np.exp(-((x - width + cx) ** 2 + (y - cy) ** 2) / (2 * (0.08 * min(height, width)) ** 2))
        red = 40 + 120 * x / width + 90 * blob
        green = 60 + 100 * y / height + 80 * blob2
        blue = 128 + 60 * np.sin(2 * np.pi * (x / width + t / frames)) * 0.5
        out[t] = np.clip(np.stack([red, green, blue], -1), 0, 255).astype(np.uint8)
    return out


def tone_with_click(channels: int, sample_rate: int, seconds: float) -> np.ndarray:
    """Two tones (different per channel) at -14 dB plus a click at exactly 1.000 s: float32 [C, S]."""
    t = np.arange(round(seconds * sample_rate)) / sample_rate
    audio = np.stack([0.2 * np.sin(2 * np.pi * (220 + 110 * c) * t) for c in range(channels)])
    if seconds > 1:
        audio[:, sample_rate] += 0.7  # the click
    return audio.astype(np.float32)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0**2 / mse))


def click_time(audio: np.ndarray, sample_rate: int) -> float:
    """Where the click is: the peak of the first difference, which the tones barely register."""
    return float(np.argmax(np.abs(np.diff(audio[0])))) / sample_rate


# ------------------------------------------------------------------------------------------- mp4


@pytest.mark.parametrize(
    ("width", "height", "channels", "sample_rate"),
    [(64, 36, 2, 48_000), (36, 64, 1, 16_000), (48, 48, 2, 16_000), (48, 48, 1, 48_000)],
    ids=["16:9-stereo-48k", "9:16-mono-16k", "1:1-stereo-16k", "1:1-mono-48k"],
)
def test_mp4_round_trip_keeps_both_streams(tmp_path, width, height, channels, sample_rate):
    frames = moving_pattern(30, height, width)
    audio = tone_with_click(channels, sample_rate, seconds=1.3)
    path = tmp_path / "clip.mp4"
    write_mp4(path, frames, FPS, audio, sample_rate)
    got = read_mp4(path)

    assert got.frames.shape[1:] == (height, width, 3) and abs(got.frames.shape[0] - 30) <= 1
    assert got.fps == FPS and got.duration == pytest.approx(30 / FPS, abs=1 / FPS)
    assert psnr(got.frames[:30], frames[: got.frames.shape[0]]) > 30
    assert got.sample_rate == sample_rate and got.audio.shape[0] == channels
    assert abs(got.audio.shape[1] - audio.shape[1]) <= 1024  # one AAC frame
    n = min(got.audio.shape[1], audio.shape[1])
    for c in range(channels):  # at lag 0: the encoder's priming delay must already be gone
        assert np.corrcoef(got.audio[c, :n], audio[c, :n])[0, 1] > 0.9
    assert click_time(got.audio, sample_rate) == pytest.approx(1.0, abs=0.005)


@pytest.mark.parametrize("sample_rate", [16_000, 48_000])
def test_click_at_one_second_decodes_at_one_second(tmp_path, sample_rate):
    audio = np.zeros((1, 2 * sample_rate), np.float32)
    audio[0, sample_rate] = 0.9
    write_mp4(tmp_path / "click.mp4", moving_pattern(48, 16, 16), FPS, audio, sample_rate)
    got = read_mp4(tmp_path / "click.mp4")
    assert float(np.argmax(np.abs(got.audio[0]))) / sample_rate == pytest.approx(1.0, abs=0.005)


def test_audio_and_video_keep_their_own_durations(tmp_path):
    audio = tone_with_click(1, 16_000, seconds=2.05)  # longer than the 1.25 s of video
    write_mp4(tmp_path / "a.mp4", moving_pattern(30, 16, 16), FPS, audio, 16_000)
    got = read_mp4(tmp_path / "a.mp4")
    assert got.duration == pytest.approx(1.25)
    assert got.audio.shape[1] / 16_000 == pytest.approx(2.05, abs=1024 / 16_000)


@pytest.mark.parametrize("samples", [10, 1000, 2100])
def test_audio_length_is_exact_even_for_odd_lengths(tmp_path, samples):
    audio = np.full((2, samples), 0.25, np.float32)
    write_mp4(tmp_path / "s.mp4", moving_pattern(3, 16, 16), 30000 / 1001, audio, 44_100)
    assert read_mp4(tmp_path / "s.mp4").audio.shape == (2, samples)


def test_unsupported_sample_rate_is_resampled_to_an_aac_rate(tmp_path):
    audio = tone_with_click(1, 11_000, seconds=1.5)
    write_mp4(tmp_path / "r.mp4", moving_pattern(12, 16, 16), FPS, audio, 11_000)
    got = read_mp4(tmp_path / "r.mp4")
    assert got.sample_rate == 11_025  # the next rate AAC supports
    assert got.audio.shape[1] / 11_025 == pytest.approx(1.5, abs=1024 / 11_025)
    assert click_time(got.audio, 11_025) == pytest.approx(1.0, abs=0.005)


def test_video_only_mp4(tmp_path):
    frames = moving_pattern(10, 32, 48)
    write_mp4(tmp_path / "v.mp4", frames, 30000 / 1001)
    got = read_mp4(tmp_path / "v.mp4")
    assert got.audio is None and got.sample_rate is None
    assert got.frames.shape == frames.shape and got.fps == pytest.approx(30000 / 1001)


def test_metadata_round_trip(tmp_path):
    tags = {"title": "a ball — bounces", "comment": "seed=7", "phonofilm:job": "video_123"}
    write_mp4(tmp_path / "m.mp4", moving_pattern(4, 16, 16), FPS, metadata=tags)
    assert tags.items() <= read_mp4(tmp_path / "m.mp4").metadata.items()
    assert tags.items() <= probe(tmp_path / "m.mp4").metadata.items()


def test_probe_describes_without_decoding(tmp_path):
    write_mp4(tmp_path / "p.mp4", moving_pattern(36, 36, 64), FPS, tone_with_click(2, 48_000, 1.2), 48_000)
    info = probe(tmp_path / "p.mp4")
    assert (info.width, info.height, info.frame_count) == (64, 36, 36)
    assert info.fps == FPS and info.duration == pytest.approx(1.5)
    assert info.has_audio and info.audio_channels == 2 and info.sample_rate == 48_000
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")


def test_mp4_streams_and_is_deterministic(tmp_path):
    frames, audio = moving_pattern(12, 16, 32), tone_with_click(1, 16_000, 1.1)
    write_mp4(tmp_path / "a.mp4", frames, FPS, audio, 16_000)
    write_mp4(tmp_path / "b.mp4", frames, FPS, audio, 16_000)
    data = (tmp_path / "a.mp4").read_bytes()
    assert data == (tmp_path / "b.mp4").read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # faststart: the index comes first


def test_odd_size_is_refused(tmp_path):
    with pytest.raises(ValueError, match="even width and height"):
        write_mp4(tmp_path / "odd.mp4", moving_pattern(2, 15, 16), FPS)
    assert not (tmp_path / "odd.mp4").exists()


@pytest.mark.parametrize(
    ("frames", "audio", "message"),
    [
        (moving_pattern(2, 16, 16).astype(np.float32), None, "uint8"),
        (moving_pattern(2, 16, 16)[..., :2], None, r"\[T, H, W, 3\]"),
        (moving_pattern(2, 16, 16), np.full((1, 100), np.nan, np.float32), "NaN"),
        (moving_pattern(2, 16, 16), np.zeros((3, 100), np.float32), "channels"),
    ],
    ids=["float-frames", "two-channel-frames", "nan-audio", "three-channel-audio"],
)
def test_bad_input_creates_no_file(tmp_path, frames, audio, message):
    with pytest.raises(ValueError, match=message):
        write_mp4(tmp_path / "bad.mp4", frames, FPS, audio, 16_000)
    assert list(tmp_path.iterdir()) == []


class FailingFrames(np.ndarray):
    """Valid frames whose 5th frame cannot be read: an encoder failure half-way through a file."""

    def __iter__(self):
        for index in range(self.shape[0]):
            if index == 4:
                raise RuntimeError("renderer crashed")
            yield np.asarray(self)[index]


def test_failure_mid_write_keeps_the_previous_file(tmp_path):
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"previous version")
    with pytest.raises(RuntimeError, match="renderer crashed"):
        write_mp4(path, moving_pattern(8, 16, 16).view(FailingFrames), FPS)
    assert path.read_bytes() == b"previous version"
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]  # no temp file left behind


@pytest.fixture
def small_mp4(tmp_path) -> Path:
    path = tmp_path / "small.mp4"
    write_mp4(path, moving_pattern(24, 32, 32), FPS, tone_with_click(2, 16_000, 1.1), 16_000)
    return path


def test_truncated_mp4_is_refused_with_its_path(small_mp4):
    data = small_mp4.read_bytes()
    with av.open(str(small_mp4)) as container:  # packet ends: cuts there leave no partial packet
        ends = sorted(p.pos + p.size for p in container.demux() if p.size)
    cuts = {len(data) // 3, len(data) // 2, len(data) - 7, ends[len(ends) // 2], ends[-2]}
    for cut in sorted(cuts):
        small_mp4.write_bytes(data[:cut])
        with pytest.raises(ValueError, match=small_mp4.name):
            read_mp4(small_mp4)


def test_non_media_file_is_refused(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("just some text, not a video\n" * 50)
    with pytest.raises(ValueError, match=r"notes\.mp4"):
        read_mp4(path)
    with pytest.raises(ValueError, match=r"notes\.mp4"):
        probe(path)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9/x.mp4", "file:/etc/passwd", "concat:a.mp4|b.mp4", "subfile,,start,0,end,0,,:x"],
)
def test_urls_and_protocols_are_refused(url):
    with pytest.raises(ValueError, match="only local files"):
        read_mp4(url)
    with pytest.raises(ValueError, match="only local files"):
        probe(url)


def test_codecs_outside_the_allow_list_are_refused(tmp_path):
    path = tmp_path / "mjpeg.mp4"
    with av.open(str(path), "w", format="mp4") as container:  # a valid file, but not H.264/HEVC/AV1/VP9
        stream = container.add_stream("mjpeg", rate=24)
        stream.width, stream.height, stream.pix_fmt = 16, 16, "yuvj420p"
        frame = av.VideoFrame.from_ndarray(moving_pattern(1, 16, 16)[0], format="rgb24")
        container.mux(stream.encode(frame.reformat(format="yuvj420p")))
        container.mux(stream.encode(None))
    assert probe(path).video_codec == "mjpeg"
    with pytest.raises(ValueError, match="video codec 'mjpeg'"):
        read_mp4(path)


def test_decode_limits(small_mp4):
    with pytest.raises(ValueError, match="max_frames"):
        read_mp4(small_mp4, max_frames=10)
    with pytest.raises(ValueError, match="max_pixels"):
        read_mp4(small_mp4, max_pixels=32 * 31)
    with pytest.raises(ValueError, match="max_bytes"):
        read_mp4(small_mp4, max_bytes=32 * 32 * 3 * 10)
    assert read_mp4(small_mp4, max_frames=24, max_pixels=32 * 32).frames.shape[0] == 24


# ------------------------------------------------------------------------------------------- wav


@pytest.mark.parametrize(("channels", "sample_rate"), [(1, 16_000), (2, 48_000)])
def test_wav_round_trip(tmp_path, channels, sample_rate):
    audio = tone_with_click(channels, sample_rate, seconds=1.2)
    audio[0, :3] = [1.5, -1.5, 0.5]  # overshoots are clipped
    write_wav(tmp_path / "a.wav", audio, sample_rate)
    got, rate = read_wav(tmp_path / "a.wav")
    assert rate == sample_rate and got.shape == audio.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, np.clip(audio, -1, 1), atol=1.5 / 32767)


def test_wav_refuses_garbage_and_truncation(tmp_path):
    (tmp_path / "x.wav").write_bytes(b"RIFF0000WAVEjunkjunk")
    with pytest.raises(ValueError, match=r"x\.wav"):
        read_wav(tmp_path / "x.wav")
    write_wav(tmp_path / "t.wav", tone_with_click(1, 16_000, 0.5), 16_000)
    data = (tmp_path / "t.wav").read_bytes()
    (tmp_path / "t.wav").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated"):
        read_wav(tmp_path / "t.wav")


# ---------------------------------------------------------------------------------------- images


def test_thumbnail_is_the_middle_frame_as_webp(tmp_path):
    frames = np.zeros((5, 36, 64, 3), np.uint8)
    frames[2] = (200, 40, 90)  # only the middle frame has this colour
    assert thumbnail(frames, tmp_path / "t.webp") == tmp_path / "t.webp"
    with Image.open(tmp_path / "t.webp") as image:
        assert image.format == "WEBP" and image.size == (64, 36)
        assert np.abs(np.asarray(image.convert("RGB"), float).mean((0, 1)) - (200, 40, 90)).max() < 8
    thumbnail(frames, tmp_path / "small.webp", width=32)
    with Image.open(tmp_path / "small.webp") as image:
        assert image.size == (32, 18)


def test_spritesheet_is_a_jpeg_grid_of_evenly_spaced_frames(tmp_path):
    levels = np.arange(0, 250, 10, dtype=np.uint8)  # 25 frames, frame i has grey level 10 i
    frames = np.broadcast_to(levels[:, None, None, None], (25, 18, 32, 3)).copy()
    spritesheet(frames, tmp_path / "s.jpg", columns=3, tile_width=16, count=5)
    with Image.open(tmp_path / "s.jpg") as image:
        assert image.format == "JPEG" and image.size == (3 * 16, 2 * 9)
        grid = np.asarray(image.convert("L"), float)
    tiles = [grid[r * 9 : (r + 1) * 9, c * 16 : (c + 1) * 16].mean() for r in range(2) for c in range(3)]
    # centres of 5 equal slices of 25 frames: frames 2, 7, 12, 17, 22; the 6th slot stays black
    np.testing.assert_allclose(tiles, [20, 70, 120, 170, 220, 0], atol=4)


@pytest.mark.parametrize(("fmt", "tolerance"), [("png", 0), ("jpeg", 6), ("webp", 6)])
def test_image_round_trip(fmt, tolerance):
    image = moving_pattern(1, 40, 56)[0]
    data = encode_image(image, fmt)
    with Image.open(io.BytesIO(data)) as opened:
        assert opened.format == {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}[fmt]
    got = decode_image(data)
    assert got.shape == image.shape and got.dtype == np.uint8
    assert np.abs(got.astype(int) - image).mean() <= tolerance


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge image (a decompression bomb's first bytes)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    )


def test_decode_image_guards_against_bombs_and_junk():
    with pytest.raises(ValueError, match="max_pixels"):
        decode_image(png_header_only(20_000, 20_000))
    with pytest.raises(ValueError, match="max_pixels"):
        decode_image(encode_image(np.zeros((64, 64, 3), np.uint8)), max_pixels=1000)
    with pytest.raises(ValueError, match="allowed format"):
        decode_image(b"definitely not an image")
    gif = io.BytesIO()
    Image.new("RGB", (8, 8)).save(gif, format="GIF")
    with pytest.raises(ValueError, match="allowed format"):
        decode_image(gif.getvalue())
    with pytest.raises(ValueError, match="corrupt or truncated"):
        decode_image(encode_image(moving_pattern(1, 64, 64)[0], "png")[:200])


def test_decode_image_flattens_alpha_over_black():
    rgba = Image.new("RGBA", (4, 4), (255, 255, 255, 0))
    buffer = io.BytesIO()
    rgba.save(buffer, format="PNG")
    assert decode_image(buffer.getvalue()).max() == 0
