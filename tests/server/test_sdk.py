"""The official `openai` SDK, sync and async, against a real `phonofilm serve` process."""

from __future__ import annotations

import asyncio
import base64
import warnings
from pathlib import Path

import httpx
import numpy as np
import openai
import pytest
from openai.types import Video

from phonofilm.media import decode_image, encode_image, read_mp4

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]
PROMPT = 'A red ball bounces on a wooden floor. Pip says "Nice bounce."'


@pytest.fixture(scope="module")
def key(server) -> str:
    return server.key("sdk")


@pytest.fixture(scope="module")
def client(server, key) -> openai.OpenAI:
    return server.client(key)


@pytest.fixture(scope="module")
def finished(client) -> Video:
    """One completed 4 s 720x1280 video made through create_and_poll."""
    video = client.videos.create_and_poll(prompt=PROMPT, model="sora-2", seconds="4", size="720x1280")
    assert video.status == "completed", video.error
    return video


def _mp4(data: bytes, tmp_path: Path, name: str = "v.mp4"):
    path = tmp_path / name
    path.write_bytes(data)
    return read_mp4(path)


def test_create_and_poll_delivers_every_field(finished: Video) -> None:
    assert finished.object == "video" and finished.model == "sora-2" and finished.progress == 100
    assert (finished.size, finished.seconds, finished.prompt) == ("720x1280", "4", PROMPT)
    assert finished.completed_at >= finished.created_at and finished.expires_at > finished.completed_at
    assert finished.error is None and finished.remixed_from_video_id is None


def test_download_all_variants_decode(client, finished: Video, tmp_path: Path) -> None:
    content = client.videos.download_content(finished.id)
    assert content.response.headers["content-type"] == "video/mp4"
    media = _mp4(content.content, tmp_path)
    assert media.frames.shape[1:] == (1280, 720, 3)
    assert media.duration == pytest.approx(4.0, abs=0.01)
    assert media.audio is not None and np.abs(media.audio).max() > 0  # the scene makes sound
    thumb = client.videos.download_content(finished.id, variant="thumbnail")
    assert thumb.response.headers["content-type"] == "image/webp"
    assert decode_image(thumb.content, formats=("webp",)).shape[2] == 3
    sheet = client.videos.download_content(finished.id, variant="spritesheet")
    assert sheet.response.headers["content-type"] == "image/jpeg"
    assert decode_image(sheet.content, formats=("jpeg",)).shape[0] > 0


def test_retrieve_headers_and_list_pagination(server, client) -> None:
    ids = [client.videos.create(prompt=f"a blue cube number {i}", seconds="4").id for i in range(5)]
    raw = client.videos.with_raw_response.retrieve(ids[-1])
    assert raw.headers["x-request-id"].startswith("req_")
    if raw.parse().status in ("queued", "in_progress"):
        assert int(raw.headers["openai-poll-after-ms"]) > 0
    first = client.videos.list(limit=2)
    assert len(first.data) == 2 and first.has_more and first.last_id == first.data[-1].id
    listed = [v.id for v in client.videos.list(limit=2)]  # the SDK follows `after` through every page
    assert listed[:5] == ids[::-1]  # newest first
    ascending = [v.id for v in client.videos.list(limit=100, order="asc")]
    assert ascending[-5:] == ids
    assert client.videos.list(limit=0).data == []
    for video_id in ids:  # deleting cancels, so the worker is free for the next test
        assert client.videos.delete(video_id).deleted


def test_remix_edit_extend(client, finished: Video, tmp_path: Path) -> None:
    remix = client.videos.remix(finished.id, prompt="A green ball rolls on grass.")
    assert remix.remixed_from_video_id == finished.id and remix.status == "queued"
    # This SDK's edit()/extend() only accept uploads for `video` (its extract_files rejects the {"id"}
    # form its own types allow), so the by-id form goes through its generic post, as JSON.
    edit = client.post("/videos/edits", body={"prompt": "Make it rain.", "video": {"id": finished.id}}, cast_to=Video)
    extension = client.post(
        "/videos/extensions",
        body={"prompt": "The ball rolls away.", "seconds": "4", "video": {"id": finished.id}},
        cast_to=Video,
    )
    assert extension.seconds == "8"  # the stitched total
    for job in (remix, edit, extension):
        done = client.videos.poll(job.id)
        assert done.status == "completed", done.error
        assert done.size == finished.size
    extended = _mp4(client.videos.download_content(extension.id).content, tmp_path, "ext.mp4")
    assert extended.duration == pytest.approx(8.0, abs=0.01)
    assert extended.audio is not None and extended.audio.shape[1] / 16000 == pytest.approx(8.0, abs=0.05)


def test_edit_and_extend_uploaded_videos(client, finished: Video) -> None:
    data = client.videos.download_content(finished.id).content
    edit = client.videos.edit(prompt="A blue ball instead.", video=("clip.mp4", data, "video/mp4"))
    extension = client.videos.extend(prompt="More.", seconds="4", video=("clip.mp4", data, "video/mp4"))
    assert extension.seconds == "8"
    for job in (edit, extension):
        done = client.videos.poll(job.id)
        assert done.status == "completed", done.error
        assert done.size == "720x1280"


def test_characters_and_cameo_requests(client, finished: Video) -> None:
    data = client.videos.download_content(finished.id).content
    made = client.videos.create_character(name="Ball Person", video=("me.mp4", data, "video/mp4"))
    assert made.id and made.name == "Ball Person"
    fetched = client.videos.get_character(made.id)
    assert (fetched.id, fetched.name, fetched.created_at) == (made.id, made.name, made.created_at)
    # The SDK sends this as the bracketed form key characters[][id].
    video = client.videos.create(prompt="Ball Person waves.", extra_body={"characters": [{"id": made.id}]})
    done = client.videos.poll(video.id)
    # A generator that cannot do cameos must say so, never ignore the character.
    assert done.status == "completed" or done.error.code == "cameo_unsupported"
    with pytest.raises(openai.BadRequestError, match="not found"):
        client.videos.create(prompt="x", extra_body={"characters": [{"id": "char_nope"}]})


def test_input_reference_upload_data_url_and_size_rule(client) -> None:
    image = np.zeros((1280, 720, 3), np.uint8)
    image[:, :, 2] = 200
    png = encode_image(image, "png")
    uploaded = client.videos.create(prompt="a ball", input_reference=("first.png", png, "image/png"))
    data_url = "data:image/png;base64," + base64.b64encode(png).decode()
    # This SDK's create() only takes uploads for input_reference (it rejects the {"image_url"} form its
    # types allow); the reference-object form goes as JSON through its generic post.
    by_url = client.post("/videos", body={"prompt": "a ball", "input_reference": {"image_url": data_url}}, cast_to=Video)
    for job in (uploaded, by_url):
        done = client.videos.poll(job.id)
        assert done.status == "completed" or done.error.code == "image_unsupported"
    wrong = encode_image(np.zeros((720, 1280, 3), np.uint8), "jpeg")
    with pytest.raises(openai.BadRequestError, match="Inpaint image must match the requested width and height"):
        client.videos.create(prompt="a ball", size="720x1280", input_reference=("f.jpg", wrong, "image/jpeg"))


def test_delete_removes_video_and_content(client) -> None:
    video = client.videos.create_and_poll(prompt="a yellow brick is pushed", seconds="4", size="1280x720")
    assert video.status == "completed"
    gone = client.videos.delete(video.id)
    assert (gone.id, gone.deleted, gone.object) == (video.id, True, "video.deleted")
    with pytest.raises(openai.NotFoundError):
        client.videos.retrieve(video.id)
    with pytest.raises(openai.NotFoundError):
        client.videos.download_content(video.id)


def test_async_client(server, key) -> None:
    async def scenario() -> None:
        client = openai.AsyncOpenAI(base_url=server.url + "/v1", api_key=key, max_retries=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            video = await client.videos.create_and_poll(prompt="a purple cube falls", seconds="4", size="1280x720")
            assert video.status == "completed"
            assert (await client.videos.retrieve(video.id)).id == video.id
            assert video.id in [v.id async for v in client.videos.list(limit=5)]
            assert len((await client.videos.download_content(video.id, variant="thumbnail")).content) > 0
            assert (await client.videos.delete(video.id)).deleted
        await client.close()

    asyncio.run(scenario())


def test_older_sdk_json_create_path(server, key, client) -> None:
    """SDKs before multipart sent create as JSON (and some sent seconds as a number)."""
    response = httpx.post(
        server.url + "/v1/videos",
        json={"model": "sora-2-2025-10-06", "prompt": "a white ball is thrown", "seconds": 4, "size": "1280x720"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200, response.text
    video = Video.model_validate(response.json())
    assert (video.model, video.seconds, video.size, video.status) == ("sora-2-2025-10-06", "4", "1280x720", "queued")
    assert set(response.json()) == set(Video.model_fields)  # every field present, nulls explicit
    assert client.videos.poll(video.id).status == "completed"
