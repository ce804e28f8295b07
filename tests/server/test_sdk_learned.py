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


def test_a_stored_character_casts_a_cameo(learned_server: Server, tmp_path: Path) -> None:
    from phonofilm.media import write_mp4
    from phonofilm.world.cameo import make_recording

    client = learned_server.client(learned_server.key("cameo"))
    rec = make_recording(2, 0)  # Mira, alone, speaking
    write_mp4(tmp_path / "mira.mp4", rec.frames, rec.fps, rec.audio, rec.sample_rate)
    mira = client.videos.create_character(name="Mira", video=("mira.mp4", (tmp_path / "mira.mp4").read_bytes(),
                                                                 "video/mp4"))
    prompt = 'Mira stands on a wooden floor. Mira says, "Hi."'
    frames = {}
    for cast in (False, True):
        extra = {"characters": [{"id": mira.id}]} if cast else {}
        video = client.videos.create_and_poll(prompt=prompt, seconds="4", size="1280x720", extra_body=extra)
        assert video.status == "completed", video.error
        path = tmp_path / f"cast-{cast}.mp4"
        path.write_bytes(client.videos.download_content(video.id).content)
        media = read_mp4(path)
        frames[cast] = media.frames
        # the worker writes the generation's metadata into the file: the cameo was used, not ignored
        assert (media.metadata.get("phonofilm_cameos") == "Mira") == cast
    assert frames[True].shape == frames[False].shape == (64, 720, 1280, 3)
