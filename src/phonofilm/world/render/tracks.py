"""Where every body is, and how big, at each frame time: the world side of rendering (metres, seconds).

Objects come from the simulation; characters stand still on the floor and get a deterministic idle
bob and blink, plus the mouth openness of their speech.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from phonofilm.world.scene import Character, Scene, SceneObject
from phonofilm.world.state import Simulation, Utterance, mouth_openness

# Half-width of each character body as a fraction of its height.
BODY_HALF_WIDTH = {"blob": 0.46, "tall": 0.24, "square": 0.37}
BLINK_SECONDS = 0.14
# Feet: two ellipses at ±FOOT_X × half-width, FOOT_Y up, radii FOOT_RX × FOOT_RY (fractions of height).
FOOT_X, FOOT_Y, FOOT_RX, FOOT_RY = 0.5, 0.035, 0.13, 0.05


def object_half_sizes(obj: SceneObject) -> tuple[float, float]:
    """Unrotated half-width and half-height in metres (a brick is 2:1, lying on its long side)."""
    if obj.shape == "brick":
        return 2.0 * obj.size, obj.size
    return obj.size, obj.size


@dataclass(frozen=True)
class ObjectTrack:
    """An object's centre [T, 2] and angle [T] at the frame times."""

    obj: SceneObject
    pos: np.ndarray
    angle: np.ndarray

    @property
    def radius(self) -> float:
        """Radius of a circle that contains the shape at any angle."""
        hx, hy = object_half_sizes(self.obj)
        return float(np.hypot(hx, hy)) if self.obj.shape != "ball" else self.obj.size

    def half_extents(self) -> tuple[np.ndarray, np.ndarray]:
        """Axis-aligned half-width and half-height of the rotated shape, each [T]."""
        if self.obj.shape == "ball":
            r = np.full(len(self.angle), self.obj.size)
            return r, r
        hx, hy = object_half_sizes(self.obj)
        c, s = np.abs(np.cos(self.angle)), np.abs(np.sin(self.angle))
        return hx * c + hy * s, hx * s + hy * c


@dataclass(frozen=True)
class CharacterTrack:
    """A character's idle bob [T] (metres), eye openness [T] and mouth openness [T] (0..1)."""

    char: Character
    bob: np.ndarray
    eyes: np.ndarray
    mouth: np.ndarray

    @property
    def half_width(self) -> float:
        """Half-width of the body (without the feet), metres."""
        return BODY_HALF_WIDTH[self.char.body] * self.char.height

    @property
    def outer_half_width(self) -> float:
        """Half-width including the feet."""
        h = self.char.height
        return max(self.half_width, FOOT_X * self.half_width + FOOT_RX * h)

    @property
    def bottom(self) -> float:
        """Lowest point above the floor (the feet, slightly below y = 0 for contact)."""
        return (FOOT_Y - FOOT_RY) * self.char.height

    def half_extents(self) -> tuple[np.ndarray, np.ndarray]:
        """Half-width and half-height of the drawn body box, each [T]."""
        n = len(self.bob)
        return np.full(n, self.outer_half_width), np.full(n, 0.5 * (self.char.height - self.bottom))

    @property
    def pos(self) -> np.ndarray:
        """Centre of the drawn body box [T, 2]."""
        x = np.full(len(self.bob), self.char.x)
        return np.stack([x, 0.5 * (self.char.height + self.bottom) + self.bob], axis=-1)


def object_tracks(scene: Scene, sim: Simulation, times: np.ndarray) -> tuple[ObjectTrack, ...]:
    """Sample every scene object at `times`; a body the simulation lacks stays at its start pose."""
    out = []
    for obj in scene.objects:
        if obj.id in sim.pos:
            pos, angle = sim.sample(obj.id, times)
        else:
            pos = np.tile([obj.x, obj.y], (len(times), 1)).astype(np.float64)
            angle = np.zeros(len(times))
        out.append(ObjectTrack(obj, np.asarray(pos, np.float64), np.asarray(angle, np.float64)))
    return tuple(out)


def character_tracks(
    scene: Scene, utterances: tuple[Utterance, ...], times: np.ndarray
) -> tuple[CharacterTrack, ...]:
    """Idle motion (deterministic from identity and index) and mouth openness for every character."""
    out = []
    for i, ch in enumerate(scene.characters):
        period = 3.1 + 0.37 * (ch.identity % 5)
        tau = np.mod(times + 0.9 * i + 0.31 * ch.identity, period)
        half = 0.5 * BLINK_SECONDS
        eyes = np.where(tau < BLINK_SECONDS, np.clip(np.abs(tau - half) / half, 0.1, 1.0), 1.0)
        bob = 0.012 * ch.height * np.sin(2 * np.pi * times / 1.7 + 1.3 * i + 0.5 * ch.identity)
        mouth = mouth_openness(utterances, ch.id, times)
        out.append(CharacterTrack(ch, bob, eyes.astype(np.float32), np.clip(mouth, 0.0, 1.0)))
    return tuple(out)


def action_extent(
    tracks: tuple[ObjectTrack | CharacterTrack, ...], n: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """Per-frame x range [T] (lo, hi) covered by all bodies, or None when there are none."""
    if not tracks:
        return None
    lo, hi = np.full(n, np.inf), np.full(n, -np.inf)
    for tr in tracks:
        ex, _ = tr.half_extents()
        lo = np.minimum(lo, tr.pos[:, 0] - ex)
        hi = np.maximum(hi, tr.pos[:, 0] + ex)
    return lo, hi
