"""World clips for the eval tests: helpers shared by conftest fixtures and tests."""

from __future__ import annotations

from phonofilm.world.clip import Clip
from phonofilm.world.make import make_clip_from_seed

SEEDS = (300, 301, 303, 304, 305, 308)  # single wide shot scenes with falling and bouncing objects


def physics_clip(seed: int, size: tuple[int, int] = (128, 72)) -> Clip:
    """A one-shot scene without dialogue: objects fall, bounce and knock."""
    return make_clip_from_seed(seed, 4.0, size[0], size[1], 16.0, 16000, 1, n_shots=1, dialogue=())


def talking_clip(seed: int, identity: int, line: str = "Did you hear that noise over there?") -> Clip:
    """One character saying one line, no objects, at a size where mouths are readable."""
    return make_clip_from_seed(seed, 4.0, 256, 144, 16.0, 16000, 1, n_shots=1, n_objects=0,
                               characters=(identity,), dialogue=(line,), ambience="room")  # fmt: skip
