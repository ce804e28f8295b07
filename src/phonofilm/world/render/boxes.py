"""Ground-truth pixel boxes of every object and character as drawn, NaN while off screen."""

from __future__ import annotations

import numpy as np

from phonofilm.world.render.camera import CameraPlan, Layout
from phonofilm.world.render.tracks import CharacterTrack, ObjectTrack


def body_boxes(
    track: ObjectTrack | CharacterTrack, plan: CameraPlan, layout: Layout, pad_px: float
) -> np.ndarray:
    """[T, 4] float32 (x0, y0, x1, y1) in frame pixels, clipped to the picture, NaN when not visible.

    pad_px widens the box by the outline the style draws around the shape.
    """
    ex, ey = track.half_extents()
    x, y = track.pos[:, 0], track.pos[:, 1]
    xa, ya = plan.to_pixels(x - ex, y + ey)
    xb, yb = plan.to_pixels(x + ex, y - ey)
    x0 = np.minimum(xa, xb) - pad_px
    x1 = np.maximum(xa, xb) + pad_px
    y0, y1 = ya - pad_px + layout.top, yb + pad_px + layout.top
    x0, x1 = np.clip(x0, 0, layout.width), np.clip(x1, 0, layout.width)
    y0 = np.clip(y0, layout.top, layout.top + layout.picture_h)
    y1 = np.clip(y1, layout.top, layout.top + layout.picture_h)
    box = np.stack([x0, y0, x1, y1], axis=-1)
    hidden = (x1 - x0 < 0.5) | (y1 - y0 < 0.5)  # less than half a pixel of it on screen
    box[hidden] = np.nan
    return box.astype(np.float32)
