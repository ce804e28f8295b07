"""First-frame fidelity and Fréchet distances on world clips, replaced first frames and shuffled frames."""

from __future__ import annotations

import numpy as np

from phonofilm.eval.corrupt import noise_audio, replace_first_frame, shuffle_frames
from phonofilm.eval.features import AUDIO_DIM, VIDEO_DIM, audio_features, video_features
from phonofilm.eval.metrics.distribution import frechet_audio_distance, frechet_video_distance
from phonofilm.eval.metrics.i2v import continuation_jump, first_frame_psnr, first_frame_ssim
from phonofilm.eval.metrics.registry import METRICS
from phonofilm.eval.target import Target
from phonofilm.world.clip import Clip


def test_first_frame_fidelity(physics_clips: list[Clip]) -> None:
    for i, clip in enumerate(physics_clips[:3]):
        target = Target(image=clip.frames[0])
        assert first_frame_psnr(clip, target) >= 60 and first_frame_ssim(clip, target) > 0.99
        other = physics_clips[(i + 1) % len(physics_clips)].frames[0]
        wrong = replace_first_frame(clip, other)
        assert METRICS["first_frame_psnr"].failed(first_frame_psnr(wrong, target))
        assert METRICS["first_frame_ssim"].failed(first_frame_ssim(wrong, target))


def test_continuation_jump_catches_a_cut_after_the_given_frame(physics_clips: list[Clip]) -> None:
    for i, clip in enumerate(physics_clips[:3]):
        jump = continuation_jump(clip)
        assert not METRICS["continuation_jump"].failed(jump), jump  # the world goes on from its frame 0
        other = physics_clips[(i + 1) % len(physics_clips)].frames[0]
        cut = replace_first_frame(clip, other)  # the given image, then a different scene
        assert METRICS["continuation_jump"].failed(continuation_jump(cut))


def test_features_are_fixed_and_deterministic(physics_clips: list[Clip]) -> None:
    clip = physics_clips[0]
    v, a = video_features(clip), audio_features(clip)
    assert v.shape == (VIDEO_DIM,) and a.shape == (AUDIO_DIM,)
    assert np.array_equal(v, video_features(clip)) and np.array_equal(a, audio_features(clip))
    assert np.isfinite(v).all() and np.isfinite(a).all()


def test_frechet_distances_separate_world_sets_from_corrupted_ones(physics_clips: list[Clip]) -> None:
    ref, gen = physics_clips[:3], physics_clips[3:]
    base_v = frechet_video_distance(gen, ref)
    base_a = frechet_audio_distance(gen, ref)
    shuffled = frechet_video_distance([shuffle_frames(c, seed=i) for i, c in enumerate(gen)], ref)
    noisy = frechet_audio_distance([noise_audio(c, seed=i) for i, c in enumerate(gen)], ref)
    assert shuffled > 2.0 * base_v, (base_v, shuffled)
    assert noisy > 2.0 * base_a, (base_a, noisy)
