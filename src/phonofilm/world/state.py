"""What the simulation hands to rendering, sound, captions and ground truth: trajectories + event log."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Body ids of static surfaces, as they appear in `ContactEvent.a` / `.b`.
FLOOR = "floor"
WALL_LEFT = "wall_left"
WALL_RIGHT = "wall_right"
BACKBOARD = "backboard"
RIM = "rim"
TANK_WALL = "tank_wall"
TANK_FLOOR = "tank_floor"
WATER = "water"
STATIC_SURFACES = (FLOOR, WALL_LEFT, WALL_RIGHT, BACKBOARD, RIM, TANK_WALL, TANK_FLOOR, WATER)


@dataclass(frozen=True)
class ContactEvent:
    """One contact. kind: "impact" (a collision with rebound), "splash" (entering water)."""

    t: float  # seconds
    a: str  # body id (always a dynamic body)
    b: str  # the other body id, or a static surface id from STATIC_SURFACES
    x: float  # contact point, metres
    y: float
    speed: float  # normal impact speed, m/s (relative speed along the contact normal)
    kind: str = "impact"


@dataclass(frozen=True)
class Simulation:
    """Body states sampled on a uniform time grid `t` (the physics rate), plus the event log.

    pos[id]: [N, 2] centre in metres; angle[id]: [N] radians; vel[id]: [N, 2] m/s. Dynamic bodies only
    (objects); characters stand still and are not in here.
    """

    t: np.ndarray  # [N] seconds, uniform
    pos: dict[str, np.ndarray]
    angle: dict[str, np.ndarray]
    vel: dict[str, np.ndarray]
    events: tuple[ContactEvent, ...] = ()
    rate: float = 240.0  # Hz
    in_water: dict[str, np.ndarray] = field(default_factory=dict)  # [N] bool per body

    def sample(self, body: str, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Linearly interpolated (pos [M,2], angle [M]) of `body` at arbitrary `times` (seconds)."""
        t = self.t
        p = self.pos[body]
        a = self.angle[body]
        x = np.interp(times, t, p[:, 0])
        y = np.interp(times, t, p[:, 1])
        ang = np.interp(times, t, a)
        return np.stack([x, y], axis=-1), ang


@dataclass(frozen=True)
class Utterance:
    """A synthesized line of dialogue, placed on the clip's time line.

    phonemes: (start, end, symbol) in absolute seconds. mouth: openness in [0, 1] sampled at
    `mouth_rate` Hz from `start` (0 = closed); it drives the character's mouth in the picture.
    audio: mono float32 at `sample_rate`, starting at `start`.
    """

    character: str
    text: str
    start: float
    end: float
    phonemes: tuple[tuple[float, float, str], ...]
    mouth: np.ndarray
    audio: np.ndarray
    sample_rate: int
    mouth_rate: float = 100.0

    def mouth_at(self, times: np.ndarray) -> np.ndarray:
        """Mouth openness at absolute `times` (0 outside the utterance)."""
        times = np.asarray(times, dtype=np.float64)
        grid = self.start + np.arange(len(self.mouth)) / self.mouth_rate
        out = np.interp(times, grid, self.mouth, left=0.0, right=0.0)
        return out.astype(np.float32)


def mouth_openness(utterances: tuple[Utterance, ...], character: str, times: np.ndarray) -> np.ndarray:
    """Mouth openness of `character` at `times`: the max over its utterances (lines never overlap)."""
    out = np.zeros(len(times), dtype=np.float32)
    for u in utterances:
        if u.character == character:
            out = np.maximum(out, u.mouth_at(times))
    return out
