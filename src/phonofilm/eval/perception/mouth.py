"""Mouth openness from pixels: how much dark mouth interior is showing, frame by frame.

The world draws a closed mouth as a thin dark line and an open one as a dark red oval with a tongue;
the rest of a character holds still (a slow idle bob of about 1 % of its height). So within a still
shot, the pixels that ever take the mouth's colour form the mouth zone, and the openness of frame t
is how much darker that zone is than at its brightest (most closed) moment. Eyes blink with near-black
pupils and white sclera, which are not the mouth's colour, so blinks stay out of the zone.
"""

from __future__ import annotations

import numpy as np

from phonofilm.eval.perception.colour import srgb_to_lab

MOUTH_RGB = (70.0, 20.0, 34.0)  # the world's mouth interior and tongue (render/characters.py) ...
TONGUE_RGB = (222.0, 96.0, 116.0)
GRADED = ((51.9, 7.7, 30.3), (213.2, 95.3, 102.8))  # ... and both under the cinematic grade
MOUTH_DISTANCE = 25.0  # ΔE at which a pixel stops counting as mouth


def _mouthness(frames: np.ndarray) -> np.ndarray:
    """[T, h, w] in [0, 1]: how much each pixel looks like mouth interior or tongue (soft, by ΔE)."""
    refs = srgb_to_lab(np.array([MOUTH_RGB, TONGUE_RGB, *GRADED]))
    out = np.empty(frames.shape[:3], np.float32)
    for t, f in enumerate(frames):
        lab = srgb_to_lab(f)
        d = np.min([np.linalg.norm(lab - r, axis=-1) for r in refs], axis=0)
        out[t] = np.clip(1.0 - d / MOUTH_DISTANCE, 0.0, 1.0)
    return out


def mouth_openness(frames: np.ndarray) -> np.ndarray:
    """Openness per frame [T] of all mouths in a still shot: mouth-coloured area above its closed level."""
    m = _mouthness(frames)
    # only pixels whose mouthness changes belong to a mouth (a dark red prop or body stays constant)
    varies = (m.max(axis=0) - m.min(axis=0)) > 0.25
    if not varies.any():
        return np.zeros(len(frames))
    area = m[:, varies].sum(axis=1)
    return area - area.min()
