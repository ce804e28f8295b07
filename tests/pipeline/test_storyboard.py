"""Storyboards: parsed from "Shot N:" prompts and JSON, refused clearly, placed on the latent frames."""

from __future__ import annotations

import json

import pytest
import torch

from phonofilm.diffusion.patchify import TimeLayout
from phonofilm.pipeline.storyboard import (
    ShotPlan,
    Storyboard,
    StoryboardError,
    resolve_storyboard,
    storyboard_from_json,
    storyboard_from_prompt,
)
from phonofilm.world.prompt import parse_prompt


def test_prompt_with_timed_heads_gives_start_times_and_preamble() -> None:
    text = "A red ball in a wooden room. Shot 1: Wide shot. Shot 2 (2.0 s): Close on the red ball. Shot 3 (3.5 s): Wide again."
    board = storyboard_from_prompt(text, 5.0)
    assert board.preamble == "A red ball in a wooden room."
    assert [(s.start, s.seconds) for s in board.shots] == [(0.0, 2.0), (2.0, 1.5), (3.5, 1.5)]
    assert [s.prompt for s in board.shots] == ["Wide shot.", "Close on the red ball.", "Wide again."]
    assert len(parse_prompt(board.script()).shots) == 3  # the world's own parser reads our script
    again = storyboard_from_prompt(board.script(), 5.0)  # the script round-trips (how the API stores it)
    assert again == board


def test_untimed_heads_split_evenly_and_mixed_heads_fill_gaps() -> None:
    board = storyboard_from_prompt("Shot 1: wide. Shot 2: close. Shot 3: wide.", 6.0)
    assert [s.start for s in board.shots] == [0.0, 2.0, 4.0]
    mixed = storyboard_from_prompt("Shot 1: a. Shot 2: b. Shot 3 (4.0 s): c. Shot 4: d.", 6.0)
    assert [s.start for s in mixed.shots] == [0.0, 2.0, 4.0, 5.0]
    single = storyboard_from_prompt("A ball bounces.", 3.0)
    assert single.shots == (ShotPlan("A ball bounces.", 0.0, 3.0),) and single.script() == "A ball bounces."


def test_json_storyboard_and_its_script() -> None:
    data = {"prompt": "A glass ball on tiles.", "shots": [{"prompt": "Wide", "seconds": 2.5},
                                                         {"prompt": "Close on the ball", "seconds": "1.5"}]}
    board = storyboard_from_json(json.dumps(data), 4.0)
    assert [(s.start, s.seconds) for s in board.shots] == [(0.0, 2.5), (2.5, 1.5)]
    assert board.script() == "A glass ball on tiles. Shot 1 (0.0 s): Wide. Shot 2 (2.5 s): Close on the ball."
    odd = storyboard_from_json({"shots": [{"prompt": "a", "seconds": 1.25}, {"prompt": "b"}]}, 3.0)
    assert storyboard_from_prompt(odd.script(), 3.0).shots == odd.shots  # 1.25 s survives the text form
    assert storyboard_from_json({"shots": [{"prompt": "a", "seconds": 1}, {"prompt": "b", "seconds": 2}]}).seconds == 3


@pytest.mark.parametrize(
    ("data", "seconds", "words"),
    [
        ({"shots": [{"prompt": f"s{i}", "seconds": 0.5} for i in range(17)]}, 8.5, "17 shots; .* at most 16"),
        ({"shots": [{"prompt": "a", "seconds": 2}, {"prompt": "b", "seconds": 1}]}, 4.0, "add up to 3 s .* 4 s"),
        ({"shots": [{"prompt": "  ", "seconds": 2}]}, 2.0, r"shots\[0\].prompt is empty"),
        ({"shots": []}, 2.0, "non-empty list"),
        ({"shots": [{"prompt": "a", "seconds": "soon"}]}, 2.0, "must be a number"),
        ({"shots": [{"prompt": "a", "seconds": 0.1}, {"prompt": "b"}]}, 2.0, "at least 0.25"),
        ({"shots": [{"prompt": "a", "length": 2}]}, 2.0, "'prompt' and optional 'seconds'"),
        ({"scenes": []}, 2.0, "unknown fields"),
        ("{not json", 2.0, "not valid JSON"),
        ({"shots": [{"prompt": "a"}]}, None, "missing"),
    ],
)
def test_bad_json_storyboards_say_what_is_wrong(data, seconds, words: str) -> None:
    with pytest.raises(StoryboardError, match=words):
        storyboard_from_json(data, seconds)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Shot 1: a. Shot 3: b.", "numbered Shot 1, Shot 2"),
        ("Shot 1: a. Shot 2 (5.0 s): b.", "Shot 2 lasts 0.00 s"),
        ("Shot 1: a. Shot 2:", "Shot 2 has no text"),
        ("Shot 1 (1.0 s): a. Shot 2: b.", "Shot 1 must start at 0 s"),
        (" ".join(f"Shot {i + 1}: x." for i in range(17)), "at most 16"),
    ],
)
def test_bad_shot_scripts_are_refused(text: str, words: str) -> None:
    with pytest.raises(StoryboardError, match=words):
        storyboard_from_prompt(text, 5.0)


def test_resolve_checks_a_given_storyboard_against_the_duration() -> None:
    board = Storyboard((ShotPlan("a", 0.0, 2.0), ShotPlan("b", 2.0, 2.0)))
    assert resolve_storyboard("ignored", 4.0, board) is board
    with pytest.raises(StoryboardError, match="lasts 4 s but the request asks for 6 s"):
        resolve_storyboard("ignored", 6.0, board)


def test_shot_ids_and_cuts_land_on_the_scripted_latent_frames() -> None:
    board = storyboard_from_prompt("Shot 1: a. Shot 2 (2.0 s): b. Shot 3 (3.5 s): c.", 5.0)
    # 1 + 4·20 = 81 frames ≈ 5 s; latent j ≥ 1 covers frames 4j − 3 … 4j. 2.0 s is frame 32: the nearest
    # first frame of a latent is 33 (latent 9), not 29 (latent 8); 3.5 s = frame 56 → 57 (latent 15)
    ids, cuts = board.conditioning(21, 16.0, TimeLayout())
    expected = torch.tensor([0] * 9 + [1] * 6 + [2] * 6)
    assert torch.equal(ids[0], expected)
    assert torch.nonzero(cuts[0]).flatten().tolist() == [9, 15] == board.latent_cuts(21, 16.0, TimeLayout())
    # a 2× video VAE: latent j covers frames 2j − 1, 2j — frames 33 and 57 start latents 17 and 29
    _, cuts_2x = board.conditioning(41, 16.0, TimeLayout(frames_per_latent=2))
    assert torch.nonzero(cuts_2x[0]).flatten().tolist() == [17, 29]
    # a window starting inside shot 2 (a later chunk) counts shots from 0 again, as training clips do
    ids2, cuts2 = board.conditioning(9, 16.0, TimeLayout(), start=2.5)
    assert ids2[0].tolist() == [0, 0, 0, 0, 0, 1, 1, 1, 1] and torch.nonzero(cuts2[0]).flatten().tolist() == [5]
    part = board.window(2.5, 2.0)
    assert [(s.prompt, s.start, s.seconds) for s in part.shots] == [("b.", 0.0, 1.0), ("c.", 1.0, 1.0)]
