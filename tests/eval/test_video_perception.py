"""Seeing objects in world frames: letterbox, tracks against the true boxes, robustness to noise and blur."""

from __future__ import annotations

import numpy as np
from eval_clips import physics_clip

from phonofilm.eval.corrupt import add_noise_blur
from phonofilm.eval.perception.colour import name_colour
from phonofilm.eval.perception.video import perceive_video, picture_rows, world_scale
from phonofilm.world.clip import Clip
from phonofilm.world.scene import COLORS


def track_errors(clip: Clip, frames: np.ndarray | None = None) -> list[float]:
    """Median centroid error (px) of each detected track against the nearest true object box."""
    p = perceive_video(clip.frames if frames is None else frames, clip.fps)
    errors = []
    for tr in p.tracks:
        best = np.inf
        for key, boxes in clip.truth.boxes.items():
            if not key.startswith("obj"):
                continue
            b = boxes[tr.frames]
            centre = np.stack([(b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2 - p.picture.top], axis=1)
            d = np.hypot(*(centre - tr.xy).T)
            if np.isfinite(d).any():
                best = min(best, float(np.nanmedian(d)))
        errors.append(best)
    return errors


def test_named_colours_come_back_as_themselves() -> None:
    for name, rgb in COLORS.items():
        assert name_colour(np.array(rgb, float)).name == name


def test_letterbox_found_only_in_cinematic_frames() -> None:
    for style, barred in (("cinematic", True), ("anime", False), ("realistic", False)):
        from phonofilm.world.make import make_clip_from_seed

        clip = make_clip_from_seed(5, 1.0, 128, 72, 8.0, 16000, 1, style=style, n_shots=1)
        top, bottom = picture_rows(clip.frames)
        assert (top > 0 and bottom < 72) == barred, (style, top, bottom)
        assert (clip.truth.camera[0, 3] - clip.truth.camera[0, 1]) * world_scale(128, bottom - top) > 0.98 * (bottom - top)


def test_tracks_follow_the_objects(physics_clips: list[Clip]) -> None:
    errors = [e for clip in physics_clips for e in track_errors(clip)]
    assert len(errors) >= len(physics_clips)
    assert np.median(errors) < 1.0 and np.mean(np.array(errors) < 2.5) > 0.8, np.round(errors, 2)


def test_tracks_survive_moderate_noise_and_blur(physics_clips: list[Clip]) -> None:
    clean = [e for clip in physics_clips[:3] for e in track_errors(clip)]
    noisy = [e for i, clip in enumerate(physics_clips[:3])
             for e in track_errors(clip, add_noise_blur(clip, 4.0, 0.6, seed=i).frames)]  # fmt: skip
    assert len(noisy) >= 0.7 * len(clean)
    assert np.median(noisy) < 1.5, np.round(noisy, 2)


def test_detection_at_other_sizes_and_aspects() -> None:
    for size in ((256, 144), (72, 128)):
        clip = physics_clip(303, size)
        errors = track_errors(clip)
        assert errors and np.median(errors) < 0.02 * max(size) + 1.0, (size, errors)
