"""Cameo recordings from the world: a short clip of one catalogued identity alone, speaking one line.

Training pairs a scene with a *different* recording of a character in it (another room, another line,
another style) so the model must carry look and voice over from the recording, not copy the frame.
Recording seeds sit in their own block below the held-out benchmark seeds (≥ 2·10⁹).
"""

from __future__ import annotations

from phonofilm.world.clip import Clip
from phonofilm.world.identities import NUM_IDENTITIES
from phonofilm.world.vocab import DIALOGUE_LINES

RECORDING_SEED_BASE = 1_900_000_000  # + identity · 1000 + take; never a training-scene or benchmark seed
RECORDING_SECONDS = 3.0


def recording_seed(identity: int, take: int) -> int:
    """The world seed of take `take` (0..999) of identity `identity`."""
    if not 0 <= identity < NUM_IDENTITIES:
        raise ValueError(f"identity must be in 0..{NUM_IDENTITIES - 1}, got {identity}")
    if not 0 <= take < 1000:
        raise ValueError(f"take must be in 0..999, got {take}")
    return RECORDING_SEED_BASE + identity * 1000 + take


def make_recording(identity: int, take: int, width: int = 128, height: int = 72, fps: float = 16.0,
                   sample_rate: int = 16000) -> Clip:
    """Identity `identity` alone in a random room saying one line: what a user would upload as a cameo."""
    from phonofilm.world.make import make_clip_from_seed

    seed = recording_seed(identity, take)
    line = DIALOGUE_LINES[(identity * 7 + take * 3) % len(DIALOGUE_LINES)]
    for attempt in range(4):  # a line too long for the recording: take a shorter one
        try:
            return make_clip_from_seed(seed, RECORDING_SECONDS, width, height, fps, sample_rate, 2,
                                       characters=(identity,), n_objects=0, n_shots=1,
                                       dialogue=({"text": line},))
        except ValueError:
            if attempt == 3:
                raise
            line = min(DIALOGUE_LINES, key=len)
    raise AssertionError("unreachable")
