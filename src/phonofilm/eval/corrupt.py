"""Corruptions that a metric must notice: the evidence that each metric can come out bad.

Each takes a clip (and, where the corruption is physical, re-renders its scene through the world) and
returns a new clip. The returned clips keep no ground truth: they are no longer what the world made.
Deterministic: any randomness draws from a Generator seeded by the caller.
"""

from __future__ import annotations

import dataclasses
from math import gcd

import numpy as np
from scipy.signal import resample_poly

from phonofilm.world.clip import Clip
from phonofilm.world.scene import COLORS, Scene


def _clip(clip: Clip, frames: np.ndarray | None = None, audio: np.ndarray | None = None) -> Clip:
    return dataclasses.replace(
        clip,
        frames=clip.frames if frames is None else np.ascontiguousarray(frames),
        audio=clip.audio if audio is None else np.ascontiguousarray(audio, dtype=np.float32),
        truth=None,
    )


def shift_audio(clip: Clip, ms: float) -> Clip:
    """Delay the sound by `ms` (negative: advance), padding with silence; length unchanged."""
    n = round(ms / 1000.0 * clip.sample_rate)
    audio = np.zeros_like(clip.audio)
    if n >= 0:
        audio[:, n:] = clip.audio[:, : clip.audio.shape[1] - n]
    else:
        audio[:, :n] = clip.audio[:, -n:]
    return _clip(clip, audio=audio)


def rerender(scene: Scene, like: Clip) -> Clip:
    """Render `scene` with the size, rates and channels of `like` (ground truth kept: it is a world clip)."""
    from phonofilm.world.make import make_clip

    width, height = like.size
    return make_clip(scene, width, height, like.fps, like.sample_rate, like.audio.shape[0])


def scale_gravity(scene: Scene, like: Clip, factor: float = 0.5) -> Clip:
    """The same scene under gravity × `factor`, re-simulated and re-rendered through the world."""
    clip = rerender(dataclasses.replace(scene, gravity=scene.gravity * factor), like)
    return dataclasses.replace(clip, truth=None)


def swap_colours(scene: Scene, like: Clip) -> Clip:
    """The same scene with every object and character painted a different colour (a fixed derangement)."""
    names = list(COLORS)
    shift = {c: names[(i + 5) % len(names)] for i, c in enumerate(names)}  # +5: never a look-alike neighbour
    objects = tuple(dataclasses.replace(o, color=shift[o.color]) for o in scene.objects)
    chars = tuple(dataclasses.replace(c, color=shift[c.color]) for c in scene.characters)
    clip = rerender(dataclasses.replace(scene, objects=objects, characters=chars), like)
    return dataclasses.replace(clip, truth=None)


def swap_identity(scene: Scene, like: Clip, identity: int) -> Clip:
    """The same scene with every character replaced by catalogue identity `identity` (look and voice)."""
    from phonofilm.world.identities import identity as identity_spec

    spec = identity_spec(identity)
    chars = tuple(
        spec.character(c.id, c.x, c.facing) for c in scene.characters
    )
    clip = rerender(dataclasses.replace(scene, characters=chars), like)
    return dataclasses.replace(clip, truth=None)


def insert_cut(clip: Clip, other: Clip, at: float | None = None, length: float = 0.5) -> Clip:
    """Splice `length` seconds of `other`'s frames into the middle of `clip` (two unscripted cuts)."""
    t0 = clip.duration / 2 if at is None else at
    a = round(t0 * clip.fps)
    b = min(len(clip.frames), a + max(1, round(length * clip.fps)))
    frames = clip.frames.copy()
    frames[a:b] = other.frames[a:b]
    return _clip(clip, frames=frames)


def shift_pitch(clip: Clip, semitones: float = 4.0) -> Clip:
    """Raise (or lower) the pitch of the sound by resampling, keeping the length (speech gets faster)."""
    ratio = 2.0 ** (semitones / 12.0)
    up, down = _fraction(1.0 / ratio)
    shifted = resample_poly(clip.audio, up, down, axis=1)  # fewer samples → played at the same rate: higher
    audio = np.zeros_like(clip.audio)
    n = min(audio.shape[1], shifted.shape[1])
    audio[:, :n] = shifted[:, :n]
    return _clip(clip, audio=audio)


def _fraction(x: float, limit: int = 1000) -> tuple[int, int]:
    from fractions import Fraction

    f = Fraction(x).limit_denominator(limit)
    g = gcd(f.numerator, f.denominator)
    return f.numerator // g, f.denominator // g


def replace_first_frame(clip: Clip, image: np.ndarray) -> Clip:
    """The clip with its first frame replaced by `image` (uint8 [H, W, 3], same size)."""
    frames = clip.frames.copy()
    frames[0] = image
    return _clip(clip, frames=frames)


def shuffle_frames(clip: Clip, seed: int = 0) -> Clip:
    """The frames in a random order (sound untouched)."""
    order = np.random.default_rng(seed).permutation(len(clip.frames))
    return _clip(clip, frames=clip.frames[order])


def reverse_frames(clip: Clip) -> Clip:
    """The frames played backwards: bounces then gain energy."""
    return _clip(clip, frames=clip.frames[::-1])


def noise_audio(clip: Clip, seed: int = 0, level: float = 0.1) -> Clip:
    """The sound replaced by white noise of RMS `level`."""
    rng = np.random.default_rng(seed)
    audio = np.clip(rng.normal(0.0, level, clip.audio.shape), -1.0, 1.0)
    return _clip(clip, audio=audio)


def add_noise_blur(clip: Clip, sigma_noise: float = 6.0, sigma_blur: float = 0.8, seed: int = 0) -> Clip:
    """Moderate pixel noise and blur (robustness, not a failure: metrics should hold their value)."""
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(seed)
    blurred = gaussian_filter(clip.frames.astype(np.float32), sigma=(0, sigma_blur, sigma_blur, 0))
    noisy = blurred + rng.normal(0.0, sigma_noise, blurred.shape).astype(np.float32)
    return _clip(clip, frames=np.clip(np.rint(noisy), 0, 255).astype(np.uint8))
