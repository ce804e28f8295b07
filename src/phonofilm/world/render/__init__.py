"""Rasterising world states into frames in three visual styles.

Entry point: `render_frames(scene, sim, utterances, width, height, fps) -> RenderResult`
(see `frames.py`). Modules, in data-flow order: tracks (bodies at frame times) → camera (shots →
windows and pixel maps) → backdrop (surfaces, props: static textures per shot) → objects and
characters (moving shapes, drawn with raster's SDF patches) → effects (rain, vignette, uint8) →
boxes (ground truth). Styles live in styles.py.
"""

from phonofilm.world.render.frames import RenderResult, render_frames, validate_size

__all__ = ["RenderResult", "render_frames", "validate_size"]
