"""The official SDK against a server whose worker runs the learned pipeline (tiny synthetic checkpoint)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from serverproc import Server, make_server

from phonofilm.media import decode_image, encode_image, read_mp4

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


@pytest.fixture(scope="module")
def learned_server(tmp_path_factory: pytest.TempPathFactory, tiny_checkpoint: Path) -> Iterator[Server]:
    running = make_server(tmp_path_factory.mktemp("learned"), f"checkpoint:{tiny_checkpoint}").start()
    yield running
    running.stop()


def test_create_download_remix_extend_with_the_learned_model(learned_server: Server, tmp_path: Path) -> None:
    client = learned_server.client(learned_server.key("learned"))
    video = client.videos.create_and_poll(prompt='A glass ball rolls. Bo says "Hi."', model="sora-2",
                                          seconds="4", size="1280x720")
    assert video.status == "completed", video.error
    path = tmp_path / "v.mp4"
    path.write_bytes(client.videos.download_content(video.id).content)
    media = read_mp4(path)
    assert media.frames.shape == (64, 720, 1280, 3)
    assert media.audio is not None and media.audio.shape[0] == 2
    assert media.duration == pytest.approx(4.0, abs=0.01)
    thumb = decode_image(client.videos.download_content(video.id, variant="thumbnail").content)
    assert thumb.ndim == 3
    remix = client.videos.remix(video.id, prompt="The same ball, now blue.")
    remix = client.videos.poll(remix.id)
    assert remix.status == "completed" and remix.remixed_from_video_id == video.id
    image = np.full((720, 1280, 3), 200, np.uint8)
    i2v = client.videos.create_and_poll(prompt="A wall", model="sora-2-pro", seconds="4", size="1280x720",
                                        input_reference=("first.png", encode_image(image, "png"), "image/png"))
    assert i2v.status == "completed", i2v.error
