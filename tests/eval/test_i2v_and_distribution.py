"""First-frame fidelity and Fréchet distances on world clips, replaced first frames and shuffled frames."""

from __future__ import annotations

import dataclasses

import numpy as np

from phonofilm.eval.corrupt import noise_audio, replace_first_frame, shuffle_frames
from phonofilm.eval.features import AUDIO_DIM, VIDEO_DIM, audio_features, video_features
from phonofilm.eval.metrics.distribution import frechet_audio_distance, frechet_video_distance
from phonofilm.eval.metrics.i2v import continuation_jump, first_frame_psnr, first_frame_ssim
from phonofilm.eval.metrics.registry import METRICS
from phonofilm.eval.suite import EvalItem, score
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


def test_an_image_to_video_clip_that_stays_on_its_frame_loses_prompt_adherence(physics_clips: list[Clip]) -> None:
    """Frozen on the given frame (sound kept), a clip has a perfect first frame and no jump at all: only
    the prompt's moving objects, scored with the image-to-video metrics, tell it from the world's."""
    world, frozen = [], []
    for clip in physics_clips[:3]:
        target = Target.from_prompt(clip.caption, image=clip.frames[0])
        still = dataclasses.replace(clip, frames=np.repeat(clip.frames[:1], len(clip.frames), axis=0))
        a = score(EvalItem("world", "image_to_video", clip, target)).metrics
        b = score(EvalItem("frozen", "image_to_video", still, target)).metrics
        assert b["continuation_jump"] == 0.0 and b["first_frame_psnr"] == a["first_frame_psnr"]
        world.append(a["prompt_adherence"])
        frozen.append(b["prompt_adherence"])
    assert all(f < w for f, w in zip(frozen, world, strict=True)), (frozen, world)
    assert np.mean(world) >= 0.9 and np.mean(frozen) < np.mean(world) - 0.15


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
