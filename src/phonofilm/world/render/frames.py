"""The renderer's entry point: Scene + Simulation + utterances → frames and their ground truth.

Per camera segment the stage is rendered once into textures; then chunks of frames are drawn at
once: background slice, contact shadows, characters, objects, the front overlay (rim, net, water),
rain, vignette, and rounding into the uint8 output. Same inputs give identical bytes.
"""

from __future__ import annotations

import collections
import itertools
from dataclasses import dataclass

import numpy as np

from phonofilm.world.render.backdrop import Backdrop, render_backdrop
from phonofilm.world.render.boxes import body_boxes
from phonofilm.world.render.camera import CameraPlan, Layout, Segment, View, make_layout, plan_camera
from phonofilm.world.render.characters import draw_character
from phonofilm.world.render.effects import rain, to_uint8, vignette_mask
from phonofilm.world.render.objects import draw_object
from phonofilm.world.render.raster import Canvas
from phonofilm.world.render.shadows import draw_shadows
from phonofilm.world.render.styles import STYLE_SPECS, StyleSpec, outline_px
from phonofilm.world.render.tracks import CharacterTrack, ObjectTrack, character_tracks, object_tracks
from phonofilm.world.scene import Scene
from phonofilm.world.state import Simulation, Utterance

MIN_SIDE = 16
MAX_SIDE = 4096
MAX_PIXELS = 3840 * 2160  # 8.3 megapixels: 4K UHD in either orientation
CHUNK_FLOATS = 16_000_000  # float32 values per canvas chunk (64 MB): bounds memory at large sizes


@dataclass(frozen=True)
class RenderResult:
    """frames uint8 [T, H, W, 3]; boxes id -> [T, 4] float32 pixel (x0, y0, x1, y1), NaN off screen;
    mouth character id -> [T] float32 in [0, 1]; shot [T] int32; camera [T, 5] float32
    (x0, y0, x1, y1 world metres shown, mirrored flag)."""

    frames: np.ndarray
    boxes: dict[str, np.ndarray]
    mouth: dict[str, np.ndarray]
    shot: np.ndarray
    camera: np.ndarray


def validate_size(width: int, height: int) -> None:
    """Raise ValueError unless 16 ≤ width, height ≤ 4096 px and width × height ≤ 3840 × 2160."""
    for name, v in (("width", width), ("height", height)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer):
            raise ValueError(f"{name} must be an integer number of pixels, got {v!r}")
        if not MIN_SIDE <= v <= MAX_SIDE:
            raise ValueError(f"{name} must be between {MIN_SIDE} and {MAX_SIDE} pixels, got {v}")
    if width * height > MAX_PIXELS:
        raise ValueError(
            f"frame size {width}x{height} has {width * height} pixels; at most {MAX_PIXELS} "
            f"(3840x2160) are allowed"
        )


def _validate_timing(scene: Scene, fps: float) -> int:
    if not (np.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be a positive number, got {fps!r}")
    if not (np.isfinite(scene.duration) and scene.duration > 0):
        raise ValueError(f"scene.duration must be positive seconds, got {scene.duration!r}")
    n = round(scene.duration * fps)
    if n < 1:
        raise ValueError(f"scene of {scene.duration:g}s at {fps:g} fps has no frames")
    return n


def _runs(off_x: np.ndarray, off_y: np.ndarray) -> list[tuple[int, int]]:
    """Index ranges [a, b) of consecutive frames sharing one texture offset."""
    change = np.flatnonzero((np.diff(off_x) != 0) | (np.diff(off_y) != 0)) + 1
    bounds = [0, *change.tolist(), len(off_x)]
    return list(itertools.pairwise(bounds))


def _stage(canvas: Canvas, tex: Backdrop, seg: Segment, a: int, b: int, front: bool) -> None:
    """Copy the background (or composite the front overlays) into chunk frames a..b of the segment."""
    pic, h, w = canvas.picture, canvas.h, canvas.w
    ox, oy = seg.off_x[a:b], seg.off_y[a:b]
    for r0, r1 in _runs(ox, oy):
        x, y = int(ox[r0]), int(oy[r0])
        if not front:
            pic[r0:r1] = tex.bg[y : y + h, x : x + w]
            continue
        for layer in tex.front:
            top, left = layer.row - y, layer.col - x  # overlay origin in picture pixels
            ys, xs = max(0, top), max(0, left)
            ye, xe = min(h, top + layer.keep.shape[0]), min(w, left + layer.keep.shape[1])
            if ye <= ys or xe <= xs:
                continue
            src = (slice(ys - top, ye - top), slice(xs - left, xe - left))
            region = pic[r0:r1, ys:ye, xs:xe]
            region *= layer.keep[src]
            region += layer.rgb[src]


def _shadows(
    canvas: Canvas, view: View, sl: slice, objects: tuple[ObjectTrack, ...], style: StyleSpec
) -> None:
    """Contact shadows of the objects over the chunk (the characters' are in the backdrop)."""
    if not objects:
        return
    lifts, halves = [], []
    for o in objects:
        ex, ey = o.half_extents()
        lifts.append(np.maximum(o.pos[sl, 1] - ey[sl], 0.0))
        halves.append(ex[sl])
    x = np.stack([o.pos[sl, 0] for o in objects])
    draw_shadows(canvas, view, x, np.stack(lifts), np.stack(halves), style)


def _draw_chunk(canvas: Canvas, scene: Scene, style: StyleSpec, plan: CameraPlan, layout: Layout,
                tex: Backdrop, seg: Segment, start: int, objects: tuple[ObjectTrack, ...],
                characters: tuple[CharacterTrack, ...], times: np.ndarray) -> None:  # fmt: skip
    """Everything of frames [start, start + canvas.n) onto the canvas, in depth order."""
    n = canvas.n
    sl = slice(start, start + n)
    view = plan.view(start, start + n, layout)
    _stage(canvas, tex, seg, start - seg.start, start - seg.start + n, front=False)
    _shadows(canvas, view, sl, objects, style)
    for ct in characters:
        draw_character(canvas, view, ct, sl, style)
    for ot in objects:
        draw_object(canvas, view, ot.pos[sl], ot.angle[sl], ot.obj, style)
    if tex.front:
        _stage(canvas, tex, seg, start - seg.start, start - seg.start + n, front=True)
    if scene.ambience == "rain" and scene.stage.setting == "outdoor":
        rain(canvas, times[sl], scene.seed, 0.45 if style.cel else 0.3)


def render_frames(
    scene: Scene, sim: Simulation, utterances: tuple[Utterance, ...], width: int, height: int, fps: float
) -> RenderResult:
    """Render the clip: T = round(duration × fps) frames, frame i showing time i / fps."""
    validate_size(width, height)
    n = _validate_timing(scene, fps)
    style = STYLE_SPECS[scene.style]
    layout = make_layout(width, height, style)
    times = np.arange(n) / float(fps)
    objects = object_tracks(scene, sim, times)
    characters = character_tracks(scene, tuple(utterances), times)
    plan = plan_camera(scene, objects, characters, times, float(fps), layout)
    frames = np.zeros((n, height, width, 3), dtype=np.uint8)  # letterbox bars stay black
    picture_out = frames[:, layout.top : layout.top + layout.picture_h]
    per_frame = (layout.picture_h + 2) * (width + 2) * 3
    chunk = max(1, min(n, CHUNK_FLOATS // per_frame))
    buffer = np.zeros((chunk, layout.picture_h + 2, width + 2, 3), np.float32)  # border: finite
    vignette = vignette_mask(layout.picture_h, width, style.vignette) if style.vignette > 0 else None
    keys = [(s.scale, s.flip, s.tex_x, s.tex_y, s.tex_w, s.tex_h) for s in plan.segments]
    uses = collections.Counter(keys)  # a shot seen again (wide → close → wide) reuses its stage
    textures: dict[tuple, Backdrop] = {}
    for seg, key in zip(plan.segments, keys, strict=True):
        if key not in textures:
            textures[key] = render_backdrop(scene, style, seg, layout)
        uses[key] -= 1
        tex = textures[key] if uses[key] else textures.pop(key)  # drop textures no later shot needs
        for start in range(seg.start, seg.stop, len(buffer)):
            stop = min(seg.stop, start + len(buffer))
            canvas = Canvas(buffer[: stop - start])
            _draw_chunk(canvas, scene, style, plan, layout, tex, seg, start, objects, characters, times)
            picture = canvas.picture
            if vignette is not None:
                picture *= vignette
            to_uint8(picture, picture_out[start:stop])
    pad = outline_px(style, layout.picture_h)
    boxes = {t.obj.id: body_boxes(t, plan, layout, pad) for t in objects}
    boxes |= {t.char.id: body_boxes(t, plan, layout, pad) for t in characters}
    mouth = {t.char.id: t.mouth.astype(np.float32) for t in characters}
    return RenderResult(frames, boxes, mouth, plan.shot.astype(np.int32), plan.rectangles(layout))
