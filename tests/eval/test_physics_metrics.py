"""Physics metrics at their ideal on world clips and past their threshold on corrupted ones."""

from __future__ import annotations

import dataclasses

import numpy as np

from phonofilm.eval.analysis import ClipAnalysis
from phonofilm.eval.corrupt import reverse_frames, scale_gravity
from phonofilm.eval.metrics.physics import (
    energy_gain_rate,
    fitted_gravity,
    gravity_error,
    interpenetration_rate,
    permanence_violations,
)
from phonofilm.eval.metrics.registry import METRICS
from phonofilm.world.clip import Clip


def _median(fn, clips: list[Clip]) -> float:
    vals = np.array([fn(c) for c in clips], dtype=float)
    assert np.isfinite(vals).sum() >= len(clips) // 2, f"{fn.__name__} measurable on too few clips: {vals}"
    return float(np.nanmedian(vals))


def test_gravity_is_measured_near_981_and_halved_gravity_fails(physics_clips: list[Clip]) -> None:
    gt = [fitted_gravity(c) for c in physics_clips]
    assert np.nanmedian(gt) == np.clip(np.nanmedian(gt), 9.81 * 0.9, 9.81 * 1.1), gt
    assert _median(gravity_error, physics_clips) < 0.1
    halved = [scale_gravity(c.truth.scene, c, 0.5) for c in physics_clips[:4]]
    err = _median(gravity_error, halved)
    assert METRICS["gravity_error"].failed(err), f"gravity ×0.5 gives error {err:.2f}"
    assert 0.35 < err < 0.65


def test_bounces_lose_energy_and_reversed_clips_gain_it(physics_clips: list[Clip]) -> None:
    gt = _median(energy_gain_rate, physics_clips)
    assert not METRICS["energy_gain_rate"].failed(gt) and gt <= 0.1
    rev = _median(energy_gain_rate, [reverse_frames(c) for c in physics_clips])
    assert METRICS["energy_gain_rate"].failed(rev), f"time-reversed bounces gain energy in {rev:.0%}"


def test_no_interpenetration_in_the_world_but_overlapping_discs_are_seen() -> None:
    world = interpenetration_rate(_discs(overlap=False))
    assert world == 0.0
    bad = interpenetration_rate(_discs(overlap=True))
    assert METRICS["interpenetration_rate"].failed(bad), bad


def _discs(overlap: bool) -> Clip:
    """Two discs (radius 6 px) rolling towards each other; with overlap they pass through one another."""
    t_n, h, w = 48, 72, 128
    yy, xx = np.mgrid[0:h, 0:w]
    frames = np.full((t_n, h, w, 3), 200, np.uint8)
    for t in range(t_n):
        xa, xb = 30 + t, 98 - t
        if not overlap:  # they stop 2 px apart
            xa, xb = min(xa, 57), max(xb, 71)
        for cx, colour in ((xa, (214, 40, 40)), (xb, (40, 90, 220))):
            frames[t][(xx - cx) ** 2 + (yy - 40) ** 2 <= 36] = colour
    return Clip(frames, np.zeros((1, 48000), np.float32), 16.0, 16000, "")


def test_permanence_holds_on_world_clips_and_a_vanishing_object_violates_it(physics_clips: list[Clip]) -> None:
    gt = [permanence_violations(c) for c in physics_clips]
    assert np.median(gt) <= 0.25, gt
    gone = [_vanish(c) for c in physics_clips[:4]]
    worse = [permanence_violations(g) for g in gone]
    assert np.mean(worse) > np.mean(gt[:4]) + 0.4, (gt, worse)


def _vanish(clip: Clip) -> Clip:
    """From mid-clip on, paint every object's box with the clip's background: objects vanish."""
    frames = clip.frames.copy()
    background = np.median(frames, axis=0).astype(np.uint8)
    half = len(frames) // 2 - 4
    for boxes in (b for k, b in clip.truth.boxes.items() if k.startswith("obj")):
        for t in range(half, len(frames)):
            if np.isnan(boxes[t]).any():
                continue
            x0, y0, x1, y1 = boxes[t].astype(int)
            frames[t, max(0, y0 - 2) : y1 + 3, max(0, x0 - 2) : x1 + 3] = background[
                max(0, y0 - 2) : y1 + 3, max(0, x0 - 2) : x1 + 3
            ]
    return dataclasses.replace(clip, frames=frames, truth=None)


def test_metrics_never_read_the_ground_truth(physics_clips: list[Clip]) -> None:
    clip = physics_clips[0]
    stripped = dataclasses.replace(clip, truth=None)
    assert ClipAnalysis(clip).clip.truth is None
    assert fitted_gravity(clip) == fitted_gravity(stripped)
