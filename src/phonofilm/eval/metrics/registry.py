"""Every metric in one table: its function, ideal, failure threshold and the capabilities it scores.

A metric function has the signature `(clip, target, analysis=None) -> float` (NaN: not measurable on
this clip, e.g. no bounce seen). `MetricSpec.failed(value)` applies the documented threshold.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from phonofilm.eval.metrics import adherence, i2v, identity, lipsync, multishot, physics, sync

Better = Literal["lower", "higher", "closer_to_zero"]


@dataclass(frozen=True)
class MetricSpec:
    """A metric and how to read it: `ideal` value, `threshold` beyond which it fails, unit."""

    name: str
    fn: Callable
    ideal: float
    threshold: float
    better: Better
    unit: str = ""

    def failed(self, value: float) -> bool:
        """Whether `value` is past the failure threshold (NaN never fails: it was not measurable)."""
        if value is None or math.isnan(value):
            return False
        if self.better == "lower":
            return value > self.threshold
        if self.better == "higher":
            return value < self.threshold
        return abs(value) > self.threshold


METRICS: dict[str, MetricSpec] = {
    m.name: m
    for m in (
        MetricSpec("gravity_error", physics.gravity_error, 0.0, 0.25, "lower"),
        MetricSpec("energy_gain_rate", physics.energy_gain_rate, 0.0, 0.25, "lower"),
        MetricSpec("interpenetration_rate", physics.interpenetration_rate, 0.0, 0.05, "lower"),
        MetricSpec("permanence_violations", physics.permanence_violations, 0.0, 0.5, "lower"),
        MetricSpec("av_offset_ms", sync.av_offset_ms, 0.0, 60.0, "lower", "ms"),
        MetricSpec("av_recall", sync.av_recall, 1.0, 0.6, "higher"),
        MetricSpec("av_precision", sync.av_precision, 1.0, 0.3, "higher"),
        MetricSpec("av_best_lag_ms", sync.av_best_lag_ms, 0.0, 60.0, "closer_to_zero", "ms"),
        MetricSpec("av_recall_over_chance", sync.av_recall_over_chance, 1.0, 0.15, "higher"),
        MetricSpec("av_precision_over_chance", sync.av_precision_over_chance, 1.0, 0.15, "higher"),
        MetricSpec("lip_sync_correlation", lipsync.lip_sync_correlation, 1.0, 0.3, "higher"),
        MetricSpec("lip_sync_lag_ms", lipsync.lip_sync_lag_ms, 0.0, 80.0, "closer_to_zero", "ms"),
        MetricSpec("prompt_adherence", adherence.prompt_adherence, 1.0, 0.7, "higher"),
        MetricSpec("colour_accuracy", adherence.colour_accuracy, 1.0, 0.6, "higher"),
        MetricSpec("style_match", adherence.style_match, 1.0, 0.5, "higher"),
        MetricSpec("ambience_match", adherence.ambience_match, 1.0, 0.5, "higher"),
        MetricSpec("appearance_similarity", identity.appearance_similarity, 1.0, 0.6, "higher"),
        MetricSpec("voice_similarity", identity.voice_similarity, 1.0, 0.5, "higher"),
        MetricSpec("cut_count_error", multishot.cut_count_error, 0.0, 0.5, "lower", "shots"),
        MetricSpec("attribute_persistence", multishot.attribute_persistence, 1.0, 0.5, "higher"),
        MetricSpec("identity_persistence", multishot.identity_persistence, 1.0, 0.5, "higher"),
        MetricSpec("first_frame_psnr", i2v.first_frame_psnr, 100.0, 25.0, "higher", "dB"),
        MetricSpec("first_frame_ssim", i2v.first_frame_ssim, 1.0, 0.8, "higher"),
        MetricSpec("continuation_jump", i2v.continuation_jump, 1.0, 3.0, "lower"),
    )
}

CAPABILITIES: dict[str, tuple[str, ...]] = {
    "physics": ("gravity_error", "energy_gain_rate", "interpenetration_rate", "permanence_violations",
                "colour_accuracy"),
    "effects_sync": ("av_offset_ms", "av_recall", "av_precision", "av_best_lag_ms", "av_recall_over_chance",
                     "av_precision_over_chance"),
    "dialogue": ("lip_sync_correlation", "lip_sync_lag_ms", "prompt_adherence"),
    "ambience": ("ambience_match", "prompt_adherence"),
    "styles": ("style_match", "prompt_adherence"),
    "multi_shot": ("cut_count_error", "attribute_persistence", "identity_persistence", "prompt_adherence"),
    "image_to_video": ("first_frame_psnr", "first_frame_ssim", "continuation_jump", "prompt_adherence"),
    "cameo": ("appearance_similarity", "voice_similarity"),
}  # fmt: skip
