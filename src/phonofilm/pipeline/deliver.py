"""Delivery that needs no model: an extension's source spliced before its continuation, at the
continuation's size, frame rate and sample rate, with the sound crossfaded at the join."""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from phonofilm.world.clip import Clip

CROSSFADE_SECONDS = 0.02  # the source's last sound into the continuation: no click at the join


def splice_extension(source: Clip, new: Clip, lead_in: np.ndarray) -> Clip:
    """`source` followed by `new` (the continuation, already at the delivered size). The source is resampled
    to `new`'s frame rate, size and sample rate; its last 20 ms of sound fade into `lead_in` [C, S] — the
    continuation's own decoding of the sound just before its first frame — which `new`'s sound continues."""
    fps, sr = new.fps, new.sample_rate
    idx = np.minimum(np.round(np.arange(round(source.duration * fps)) * source.fps / fps).astype(int),
                     len(source.frames) - 1)
    old = resize_frames(source.frames[idx], new.frames.shape[2], new.frames.shape[1])
    old_audio = resample(source.audio, source.sample_rate, sr)
    old_audio = np.repeat(old_audio, 2, 0) if old_audio.shape[0] < new.audio.shape[0] else old_audio
    old_audio = old_audio[: new.audio.shape[0], : round(len(old) / fps * sr)]
    fade = min(round(CROSSFADE_SECONDS * sr), old_audio.shape[1], new.audio.shape[1], lead_in.shape[1])
    if fade:
        ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
        old_audio = old_audio.copy()
        old_audio[:, -fade:] = old_audio[:, -fade:] * (1 - ramp) + lead_in[: old_audio.shape[0], -fade:] * ramp
    return Clip(np.concatenate([old, new.frames]), np.concatenate([old_audio, new.audio], axis=1), fps, sr,
                new.caption)


def resample(audio: np.ndarray, sr_from: int, sr_to: int) -> np.ndarray:
    """Audio [C, S] from `sr_from` to `sr_to` (polyphase)."""
    if sr_from == sr_to:
        return audio
    from scipy.signal import resample_poly

    return resample_poly(audio, sr_to, sr_from, axis=-1).astype(np.float32)


def resize_frames(frames: np.ndarray, width: int, height: int) -> np.ndarray:
    """uint8 frames [T, H, W, 3] to width × height (bilinear, antialiased)."""
    if frames.shape[1:3] == (height, width):
        return frames
    t = torch.from_numpy(frames).permute(0, 3, 1, 2).float()
    t = F.interpolate(t, size=(height, width), mode="bilinear", antialias=True, align_corners=False)
    return t.round().clamp(0, 255).byte().permute(0, 2, 3, 1).numpy()
