"""The generator's contract with its callers (CLI, server workers, eval): request in, clip out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from phonofilm.pipeline.storyboard import Storyboard
from phonofilm.world.clip import Clip

# progress(fraction in [0, 1], stage name) — called from the generating thread.
ProgressFn = Callable[[float, str], None]


class UnsupportedRequest(ValueError):
    """The model cannot honour part of a request. `code` is a stable machine-readable reason."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Cameo:
    """A recorded subject for cameo use: a short clip (2-4 s) with audio, called `name` in prompts."""

    name: str
    frames: np.ndarray  # uint8 [T, H, W, 3]
    audio: np.ndarray  # float32 [C, S]
    fps: float
    sample_rate: int


@dataclass(frozen=True)
class GenerationRequest:
    """What to make. Sizes are the delivered size; the model works at its own size and upsamples.

    image: first frame (image-to-video). source + strength: remix/edit an existing clip by partial
    re-noising (strength 1 = ignore the source). extend: continue `extend` by `seconds` more seconds
    (the result holds the source followed by the continuation; source + seconds ≤ 120 s).
    storyboard: timed shots (`pipeline/storyboard.py`); None = the prompt's own "Shot N:" heads, if any.
    guidance: (video, audio) classifier-free guidance scales; None = the preset's (1 = no guidance).
    noise_correlation: share ρ ∈ [0, 1) of the video's starting noise common to the latent frames of a
    shot (`diffusion/noise.py`); None = the preset's. noise_correlation_cutoff: share only the spatial
    frequencies up to this fraction (0, 1] of the Nyquist frequency (1 = all); None = the preset's.
    image_guidance: scale of the guidance toward the given first frame (`diffusion.guidance.ImageGuidance`;
    image-to-video only); None = the preset's (1 = none).
    Requests longer than the preset's `single_pass_seconds` (up to `max_seconds`) are made in chunks.
    """

    prompt: str
    seconds: float = 4.0
    width: int = 1280
    height: int = 720
    seed: int | None = None
    steps: int | None = None
    preset: str = "sora-2"
    image: np.ndarray | None = None
    cameos: tuple[Cameo, ...] = ()
    source: Clip | None = None
    strength: float = 0.7
    extend: Clip | None = None
    storyboard: Storyboard | None = None
    guidance: tuple[float, float] | None = None
    noise_correlation: float | None = None
    noise_correlation_cutoff: float | None = None
    image_guidance: float | None = None


@dataclass(frozen=True)
class GenerationResult:
    clip: Clip  # frames at the requested size, audio, caption = the prompt
    metadata: dict[str, str] = field(default_factory=dict)  # model, checkpoint, seed, steps, resize note


class Generator(Protocol):
    """Anything that turns requests into clips (the learned pipeline; the world oracle for references)."""

    def generate(self, request: GenerationRequest, progress: ProgressFn | None = None) -> GenerationResult:
        ...
