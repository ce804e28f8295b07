"""Checks on a GenerationRequest: every refusal names the field, the value and what is allowed."""

from __future__ import annotations

import numpy as np

from phonofilm.pipeline.presets import generation_preset
from phonofilm.pipeline.request import GenerationRequest

MAX_PROMPT = 32000
MAX_SIDE = 4096
MAX_PIXELS = 3840 * 2160
MAX_GUIDANCE = 20.0


def validate_request(r: GenerationRequest) -> None:
    """Raise ValueError with an actionable message for anything the pipeline cannot make."""
    if not r.prompt or not r.prompt.strip():
        raise ValueError("prompt is empty: describe the video (1 to 32000 characters)")
    if len(r.prompt) > MAX_PROMPT:
        raise ValueError(f"prompt has {len(r.prompt)} characters; at most {MAX_PROMPT} are allowed")
    preset = generation_preset(r.preset)
    limit = 120.0 if r.extend is not None else preset.max_seconds
    if not (0 < r.seconds <= limit):
        raise ValueError(f"seconds must be in (0, {limit:g}] for preset {preset.name}, got {r.seconds:g}")
    for name, v in (("width", r.width), ("height", r.height)):
        if not (16 <= v <= MAX_SIDE) or v % 2:
            raise ValueError(f"{name} must be an even number of pixels between 16 and {MAX_SIDE}, got {v}")
    if r.width * r.height > MAX_PIXELS:
        raise ValueError(f"size {r.width}x{r.height} exceeds {MAX_PIXELS} pixels (3840x2160)")
    if r.steps is not None and not (1 <= r.steps <= 200):
        raise ValueError(f"steps must be between 1 and 200, got {r.steps}")
    if r.guidance is not None and not _scales(r.guidance):
        raise ValueError(f"guidance must be two scales (video, audio), each between 0 and {MAX_GUIDANCE:g} "
                         f"(1 = no guidance), got {r.guidance!r}")
    rho = r.noise_correlation
    if rho is not None and (isinstance(rho, bool) or not isinstance(rho, int | float) or not 0.0 <= rho < 1.0):
        raise ValueError(f"noise_correlation must be a number in [0, 1) (0 = independent noise per latent frame), "
                         f"got {rho!r}")
    cutoff = r.noise_correlation_cutoff
    if cutoff is not None and (isinstance(cutoff, bool) or not isinstance(cutoff, int | float) or not 0.0 < cutoff <= 1.0):
        raise ValueError(f"noise_correlation_cutoff must be a fraction of the Nyquist frequency in (0, 1] "
                         f"(1 = share every spatial frequency), got {cutoff!r}")
    ig = r.image_guidance
    if ig is not None and not _scales((ig, 1.0)):
        raise ValueError(f"image_guidance must be a scale between 0 and {MAX_GUIDANCE:g} (1 = no guidance toward "
                         f"the given first frame), got {ig!r}")
    if not (0.0 < r.strength <= 1.0):
        raise ValueError(f"strength must be in (0, 1], got {r.strength}")
    if r.image is not None:
        img = np.asarray(r.image)
        if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3 or min(img.shape[:2]) < 8:
            raise ValueError(f"image must be uint8 [H, W, 3] with sides of at least 8 px, got {img.dtype} {img.shape}")
    if len(r.cameos) > 2:
        raise ValueError(f"at most two cameos per video, got {len(r.cameos)}")


def _scales(guidance: object) -> bool:
    """Two real numbers in [0, MAX_GUIDANCE]."""
    if not isinstance(guidance, tuple | list) or len(guidance) != 2:
        return False
    return all(isinstance(g, int | float) and not isinstance(g, bool) and 0.0 <= g <= MAX_GUIDANCE
               for g in guidance)  # NaN fails the comparison
