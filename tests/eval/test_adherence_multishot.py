"""Prompt adherence and multi-shot persistence: ideal on world clips, failing on colour swaps and cuts."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from eval_clips import physics_clip

from phonofilm.eval.corrupt import add_noise_blur, insert_cut, swap_colours
from phonofilm.eval.metrics.adherence import (
    adherence_checks,
    ambience_match,
    colour_accuracy,
    prompt_adherence,
    style_match,
)
from phonofilm.eval.metrics.multishot import attribute_persistence, cut_count_error
from phonofilm.eval.metrics.registry import METRICS
from phonofilm.eval.perception.video import analyse_picture
from phonofilm.eval.target import Target
from phonofilm.world.clip import Clip
from phonofilm.world.make import make_clip_from_seed


def test_world_clips_do_what_their_caption_says_and_swapped_colours_do_not(physics_clips: list[Clip]) -> None:
    gt, swapped = [], []
    for clip in physics_clips:
        target = Target.from_prompt(clip.caption)
        gt.append(colour_accuracy(clip, target))
        swapped.append(colour_accuracy(swap_colours(clip.truth.scene, clip), target))
        assert prompt_adherence(clip, target) >= 0.6, adherence_checks(clip, target)
    assert np.nanmean(gt) >= 0.8 and not METRICS["colour_accuracy"].failed(np.nanmean(gt)), gt
    assert METRICS["colour_accuracy"].failed(np.nanmean(swapped)), swapped


def test_style_and_ambience_classifiers_on_every_style_and_bed() -> None:
    styles = ("realistic", "cinematic", "anime")
    beds = ("rain", "wind", "birds", "crowd", "room", "silence")
    for i, bed in enumerate(beds):
        setting = {"wind": "outdoor", "birds": "outdoor", "room": "indoor"}.get(bed)
        extra = {"setting": setting} if setting else {}
        clip = make_clip_from_seed(1200 + i, 2.0, 96, 54, 12.0, 16000, 1, style=styles[i % 3], ambience=bed,
                                   n_shots=1, dialogue=(), **extra)  # fmt: skip
        target = Target.from_prompt(clip.caption)
        assert style_match(clip, target) == 1.0, (styles[i % 3], clip.caption)
        assert ambience_match(clip, target) == 1.0, (bed, clip.caption)
        if styles[i % 3] == "cinematic":  # letterbox survives noise and blur (1-px anime outlines do not)
            assert style_match(add_noise_blur(clip), target) == 1.0


def test_cuts_counted_as_scripted_and_an_inserted_cut_fails() -> None:
    for seed in (1300, 1301, 1302):
        clip = make_clip_from_seed(seed, 4.0, 128, 72, 16.0, 16000, 1, n_shots=2, dialogue=())
        target = Target.from_prompt(clip.caption)
        assert target.spec.n_shots == 2
        assert cut_count_error(clip, target) == 0.0
        picture = analyse_picture(clip.frames)
        np.testing.assert_array_equal(np.diff(picture.shots) != 0, np.diff(clip.truth.shot) != 0)
        spliced = insert_cut(clip, physics_clip(seed + 50), at=0.5)
        assert METRICS["cut_count_error"].failed(cut_count_error(spliced, target))


def test_a_multi_shot_clip_is_scored_for_what_its_script_asks_and_swapped_colours_fail_it() -> None:
    from phonofilm.eval.suite import EvalItem, score

    kept, swapped = [], []
    for seed in (1300, 1301, 1302):
        clip = make_clip_from_seed(seed, 4.0, 128, 72, 16.0, 16000, 1, n_shots=2, dialogue=())
        target = Target.from_prompt(clip.caption)
        kept.append(score(EvalItem("world", "multi_shot", clip, target)).metrics["prompt_adherence"])
        wrong = swap_colours(clip.truth.scene, clip)
        swapped.append(score(EvalItem("swapped", "multi_shot", wrong, target)).metrics["prompt_adherence"])
    assert not METRICS["prompt_adherence"].failed(np.mean(kept)), kept
    assert all(w < k for w, k in zip(swapped, kept, strict=True)), (kept, swapped)


@pytest.mark.slow
def test_colours_persist_across_cuts_unless_swapped_after_the_cut() -> None:
    kept, broken = [], []
    for seed in range(1400, 1408):  # at the benchmark's size: characters are found by their eyes
        clip = make_clip_from_seed(seed, 4.0, 256, 144, 16.0, 16000, 1, n_shots=2, dialogue=(),
                                   shots=({"start": 0.0}, {"start": 2.0, "framing": "reverse"}))  # fmt: skip
        kept.append(attribute_persistence(clip))
        swapped = swap_colours(clip.truth.scene, clip)
        cut = int(np.flatnonzero(np.diff(clip.truth.shot))[0]) + 1
        frames = np.concatenate([clip.frames[:cut], swapped.frames[cut:]])
        broken.append(attribute_persistence(dataclasses.replace(clip, frames=frames, truth=None)))
    assert not METRICS["attribute_persistence"].failed(np.nanmean(kept)), kept
    assert METRICS["attribute_persistence"].failed(np.nanmean(broken)), broken
    assert np.nanmean(kept) - np.nanmean(broken) >= 0.2, (kept, broken)
