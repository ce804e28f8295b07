"""Lip sync and cameo identity at their ideal on world clips; shifted sound, noise, another identity
and a pitch-shifted voice fail them."""

from __future__ import annotations

import numpy as np
import pytest
from eval_clips import talking_clip

from phonofilm.eval.analysis import ClipAnalysis
from phonofilm.eval.corrupt import noise_audio, shift_audio, shift_pitch, swap_identity
from phonofilm.eval.metrics.identity import appearance_similarity, voice_similarity
from phonofilm.eval.metrics.lipsync import analyse_lipsync
from phonofilm.eval.metrics.registry import METRICS
from phonofilm.eval.perception.mouth import mouth_openness
from phonofilm.eval.target import Target
from phonofilm.world.clip import Clip


def test_mouth_openness_follows_the_drawn_mouth(talking_clips: list[Clip]) -> None:
    for clip in talking_clips:
        seen = mouth_openness(clip.frames)
        truth = sum(clip.truth.mouth.values())
        assert np.corrcoef(seen, truth)[0, 1] > 0.75


def test_lip_sync_ideal_on_world_clips(talking_clips: list[Clip]) -> None:
    for clip in talking_clips:
        r = analyse_lipsync(clip)
        assert r.at_zero > 0.45 and abs(r.best_lag) <= 0.04, (r.at_zero, r.best_lag)
        assert not METRICS["lip_sync_correlation"].failed(r.at_zero)


@pytest.mark.slow
def test_lip_sync_fails_on_shifted_or_noisy_sound(talking_clips: list[Clip]) -> None:
    for i, clip in enumerate(talking_clips):
        gt = analyse_lipsync(clip)
        late = analyse_lipsync(shift_audio(clip, 120.0))
        assert abs(late.best_lag - 0.12) <= 0.03 and METRICS["lip_sync_lag_ms"].failed(late.best_lag * 1000)
        assert late.at_zero < gt.at_zero - 0.15
        noise = analyse_lipsync(noise_audio(clip, seed=i))
        assert METRICS["lip_sync_correlation"].failed(noise.at_zero), noise.at_zero


@pytest.mark.slow
def test_appearance_matches_its_reference_and_not_another_identity(talking_clips: list[Clip]) -> None:
    measured = 0
    for k, clip in enumerate(talking_clips):
        identity = k * 9 % 64
        ref = Target(reference=talking_clip(950 + k, identity, "Hello there, my friend."))
        same = appearance_similarity(clip, ref)
        if np.isnan(same) or not ClipAnalysis(clip).characters:
            continue  # the finder missed the character in one of them (e.g. grey on a grey wall)
        measured += 1
        other = appearance_similarity(swap_identity(clip.truth.scene, clip, (identity + 21) % 64), ref)
        assert not METRICS["appearance_similarity"].failed(same), same
        assert METRICS["appearance_similarity"].failed(other) and other < same - 0.3, (same, other)
    assert measured >= 3


def test_voice_matches_its_reference_and_fails_when_pitch_shifted(talking_clips: list[Clip]) -> None:
    for k, clip in enumerate(talking_clips[:3]):
        ref = Target(reference=talking_clip(960 + k, k * 9 % 64))  # same voice, same words, another scene
        same = voice_similarity(clip, ref)
        shifted = voice_similarity(shift_pitch(clip, 4.0), ref)
        assert not METRICS["voice_similarity"].failed(same), same
        assert METRICS["voice_similarity"].failed(shifted), shifted
