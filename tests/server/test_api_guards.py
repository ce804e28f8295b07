"""Keys, isolation, rate limits, the error envelope and hostile inputs, against a real server."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import httpx
import numpy as np
import openai
import pytest

from phonofilm.media import write_mp4
from phonofilm.server.keys import revoke_key
from phonofilm.server.store import Store

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _post(server, key: str, path: str, content_type: str | None = None, **kwargs) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}", **({"content-type": content_type} if content_type else {})}
    return httpx.post(server.url + path, headers=headers, timeout=30, **kwargs)


def _assert_envelope(response: httpx.Response, status: int, *words: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["x-request-id"].startswith("req_")
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    for word in words:
        assert word in error["message"], error
    return error


def _png_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A tiny PNG whose header claims width x height pixels (a decompression bomb's calling card)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 1024)) + chunk(b"IEND", b"")


def _small_mp4(path: Path, width: int = 720, height: int = 1280, audio: bool = True) -> bytes:
    frames = np.full((8, height, width, 3), 90, np.uint8)
    sound = np.zeros((1, 16000), np.float32) if audio else None
    write_mp4(path, frames, 4.0, sound, 16000 if audio else None)
    return path.read_bytes()


def test_keys_required_and_revocable(server) -> None:
    with pytest.raises(openai.AuthenticationError, match="Incorrect API key"):
        server.client("pf-not-a-key").videos.list()
    _assert_envelope(httpx.get(server.url + "/v1/videos"), 401, "didn't provide an API key")
    secret = server.key("to-revoke")
    assert server.client(secret).videos.list().data == []
    store = Store(server.db_url)
    assert revoke_key(store, "to-revoke")
    with pytest.raises(openai.AuthenticationError):
        server.client(secret).videos.list()


def test_one_key_cannot_touch_another_keys_videos(server, tmp_path: Path) -> None:
    alice, bob = server.client(server.key("alice")), server.client(server.key("bob"))
    video = alice.videos.create(prompt="a red ball", seconds="4")
    character = alice.videos.create_character(name="Al", video=("a.mp4", _small_mp4(tmp_path / "c.mp4"), "video/mp4"))
    try:
        for attempt in (
            lambda: bob.videos.retrieve(video.id),
            lambda: bob.videos.delete(video.id),
            lambda: bob.videos.download_content(video.id),
            lambda: bob.videos.remix(video.id, prompt="mine now"),
            lambda: bob.videos.get_character(character.id),
        ):
            with pytest.raises(openai.NotFoundError):
                attempt()
        assert video.id not in [v.id for v in bob.videos.list(limit=100)]
        with pytest.raises(openai.BadRequestError, match="after"):
            bob.videos.list(after=video.id)
        with pytest.raises(openai.BadRequestError, match="not found"):
            bob.videos.create(prompt="x", extra_body={"characters": [{"id": character.id}]})
        assert alice.videos.retrieve(video.id).id == video.id
    finally:
        alice.videos.delete(video.id)


def test_rate_limit_answers_429_with_retry_after(server) -> None:
    client = server.client(server.key("slow", rate_limit=3))
    for _ in range(3):
        client.videos.list(limit=1)
    with pytest.raises(openai.RateLimitError) as caught:
        client.videos.list(limit=1)
    assert int(caught.value.response.headers["retry-after"]) >= 1
    assert caught.value.code == "rate_limit_exceeded"


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"prompt": "x", "seconds": "5"}, 400, ("'5'", "'4', '8', and '12'")),
        ({"prompt": "x", "size": "1792x1024"}, 400, ("1792x1024", "sora-2")),
        ({"prompt": "x", "model": "dall-e-3"}, 400, ("dall-e-3", "sora-2-pro")),
        ({"prompt": "x", "quality": "high"}, 400, ("Unrecognized request argument supplied: quality",)),
        ({"seconds": "4"}, 400, ("Missing required parameter: 'prompt'",)),
        ({"prompt": "   "}, 400, ("must not be empty",)),
        ({"prompt": "x" * 32_001}, 400, ("32001", "32000")),
        ({"prompt": "x", "input_reference": {"image_url": "https://example.com/a.png"}}, 400, ("data URL",)),
        ({"prompt": "x", "characters": [{"id": "a"}, {"id": "b"}, {"id": "c"}]}, 400, ("At most 2",)),
    ],
)
def test_invalid_create_requests(server, body: dict, status: int, words: tuple[str, ...]) -> None:
    _assert_envelope(_post(server, server.key(), "/v1/videos", json=body), status, *words)


def test_pro_sizes_and_long_durations_are_accepted(server) -> None:
    client = server.client(server.key())
    video = client.videos.create(prompt="x", model="sora-2-pro", size="1920x1080", extra_body={"seconds": "20"})
    assert (video.size, video.seconds, video.model) == ("1920x1080", "20", "sora-2-pro")
    client.videos.delete(video.id)


def test_hostile_uploads_get_clear_4xx(server, tmp_path: Path) -> None:
    key = server.key()
    bomb = _post(server, key, "/v1/videos", data={"prompt": "x"}, files={"input_reference": ("b.png", _png_bomb(), "image/png")})
    _assert_envelope(bomb, 400, "too large to decode safely")
    not_image = _post(server, key, "/v1/videos", data={"prompt": "x"}, files={"input_reference": ("a.png", b"GIF89a....", "image/png")})
    _assert_envelope(not_image, 400, "input_reference")
    good = _small_mp4(tmp_path / "ok.mp4")
    truncated = _post(server, key, "/v1/videos/edits", data={"prompt": "x"},
                      files={"video": ("t.mp4", good[: len(good) // 2], "video/mp4")})
    _assert_envelope(truncated, 400, "not a usable MP4")
    odd_size = _small_mp4(tmp_path / "odd.mp4", width=320, height=240)
    wrong = _post(server, key, "/v1/videos/extensions", data={"prompt": "x", "seconds": "4"},
                  files={"video": ("w.mp4", odd_size, "video/mp4")})
    _assert_envelope(wrong, 400, "320x240")
    silent = _small_mp4(tmp_path / "silent.mp4", audio=False)
    no_sound = _post(server, key, "/v1/videos/characters", data={"name": "Mute"}, files={"video": ("s.mp4", silent, "video/mp4")})
    _assert_envelope(no_sound, 400, "no audio")


def test_huge_and_malformed_bodies(server) -> None:
    key = server.key()
    huge = _post(server, key, "/v1/videos", "application/json", content=b"\0" * (100 << 20))
    _assert_envelope(huge, 413, "too large")
    multipart = "multipart/form-data; boundary=xyz"
    cut = b'--xyz\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nhi'
    _assert_envelope(_post(server, key, "/v1/videos", multipart, content=cut), 400, "multipart")
    _assert_envelope(_post(server, key, "/v1/videos", "application/json", content=b"{nope"), 400, "JSON")
    _assert_envelope(_post(server, key, "/v1/videos", "text/xml", content=b"<a/>"), 415)


def test_query_validation_and_unknown_routes(server) -> None:
    headers = {"Authorization": f"Bearer {server.key()}"}
    _assert_envelope(httpx.get(server.url + "/v1/videos?limit=101", headers=headers), 400, "limit")
    _assert_envelope(httpx.get(server.url + "/v1/videos?order=sideways", headers=headers), 400, "order")
    _assert_envelope(httpx.get(server.url + "/v1/videos/video_x/content?variant=gif", headers=headers), 400)
    _assert_envelope(httpx.get(server.url + "/v1/nothing", headers=headers), 404, "Invalid URL")
    _assert_envelope(httpx.get(server.url + "/v1/videos/video_missing", headers=headers), 404, "video_missing")
    spec = httpx.get(server.url + "/openapi.json").json()
    assert {"/v1/videos", "/v1/videos/{video_id}/content", "/v1/videos/extensions"} <= set(spec["paths"])


def test_usage_is_priced_per_second(server) -> None:
    key = server.key()
    client = server.client(key)
    video = client.videos.create_and_poll(prompt="a ball", seconds="4", size="1280x720")
    assert video.status == "completed"
    usage = httpx.get(server.url + "/v1/usage", headers={"Authorization": f"Bearer {key}"}).json()
    assert usage["videos"] == 1 and usage["seconds"] == 4.0
    assert usage["cost_usd"] == pytest.approx(0.40)  # $0.10/s for sora-2 at 720p
