"""The `storyboard` extension field on create, through the real `openai` SDK (extra_body) and raw JSON."""

from __future__ import annotations

import json

import openai
import pytest
from openai.types import Video

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]
BOARD = {"shots": [{"prompt": "Wide on a red ball in a wooden room", "seconds": 2.5},
                   {"prompt": "Close on the ball as it bounces", "seconds": 1.5}]}


@pytest.fixture(scope="module")
def client(server) -> openai.OpenAI:
    return server.client(server.key("storyboard"))


def test_sdk_extra_body_storyboard_becomes_the_script_and_completes(client) -> None:
    video = client.videos.create(prompt="A wooden room.", model="sora-2", seconds="4",
                                 extra_body={"storyboard": BOARD})  # multipart: storyboard[shots][][prompt] …
    assert video.prompt == ("A wooden room. Shot 1 (0.0 s): Wide on a red ball in a wooden room. "
                            "Shot 2 (2.5 s): Close on the ball as it bounces.")
    done = client.videos.poll(video.id)
    assert done.status == "completed", done.error
    as_text = client.videos.create(prompt="A wooden room.", seconds="4", extra_body={"storyboard": json.dumps(BOARD)})
    assert as_text.prompt == video.prompt
    raw = client.post("/videos", body={"prompt": "A wooden room.", "seconds": "4", "storyboard": BOARD}, cast_to=Video)
    assert raw.prompt == video.prompt
    for job in (as_text, raw):
        client.videos.delete(job.id)


@pytest.mark.parametrize(
    ("board", "words"),
    [
        ({"shots": [{"prompt": f"shot {i}", "seconds": 0.25} for i in range(17)]}, "17 shots; this model handles at most 16"),
        ({"shots": [{"prompt": "a", "seconds": 1}, {"prompt": "b", "seconds": 1}]}, "add up to 2 s but the video is 4 s"),
        ({"shots": [{"prompt": " ", "seconds": 4}]}, "prompt is empty"),
        ("{oops", "not valid JSON"),
    ],
)
def test_bad_storyboards_are_400_with_the_reason(client, board, words: str) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        client.videos.create(prompt="A room.", seconds="4", extra_body={"storyboard": board})
    body = err.value.body
    assert body["param"] == "storyboard" and body["code"] == "invalid_storyboard" and words in body["message"]
