"""Shots → per-frame view rectangles in world metres, and how frames map world points to pixels.

A shot fixes a zoom (pixels per metre) and a side (mirrored or not); its window may follow the action.
Each window position is snapped to whole pixels of a per-segment backdrop texture, so the static
background of a frame is a plain slice of a texture rendered once. Windows are defined in metres and
only then scaled to the picture, so a clip has the same composition at every resolution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from phonofilm.world.render.styles import StyleSpec
from phonofilm.world.render.tracks import CharacterTrack, ObjectTrack, action_extent
from phonofilm.world.scene import Character, Scene, Shot

Track = ObjectTrack | CharacterTrack

FLOOR_MARGIN = 0.55  # metres of floor shown in front of the contact line (y < 0) in a wide shot
SIDE_MARGIN = 0.15  # metres beyond the stage ends shown in a wide shot
MAX_STRETCH = 1.3  # a narrow frame may show up to this much more height than the stage box
MIN_SQUASH = 0.8  # a very wide frame may cut the top of the stage box down to this fraction
REVERSE_ZOOM = 0.85  # reverse shots are slightly tighter than the wide shot
TEXTURE_FRAMES = 8.0  # a backdrop texture may cover this many pictures' area (fewer textures when panning)...
TEXTURE_PIXELS = 4_000_000  # ...unless that is more than this many pixels (then 2.5 pictures' area)


@dataclass(frozen=True)
class Layout:
    """Frame size and the picture inside it (below/above any letterbox bars)."""

    width: int
    height: int
    top: int  # first picture row
    picture_h: int

    @property
    def aspect(self) -> float:
        """Width over height of the picture."""
        return self.width / self.picture_h


def make_layout(width: int, height: int, style: StyleSpec) -> Layout:
    """The picture keeps the full frame, or for letterboxed styles the same fraction a 2.39:1 bar takes of 16:9."""
    if style.letterbox is None:
        return Layout(width, height, 0, height)
    keep = (16 / 9) / style.letterbox
    bars = max(1, round(height * (1.0 - keep) / 2))
    return Layout(width, height, bars, height - 2 * bars)


@dataclass(frozen=True)
class Segment:
    """Frames [start, stop) of one shot drawn over one backdrop texture.

    Texture pixel (row i, col j) shows world x = tex_x + flip * (j + 0.5) / scale and
    y = tex_y - (i + 0.5) / scale; frame k of the segment shows the texture from (off_y[k], off_x[k]).
    """

    start: int
    stop: int
    shot: int
    scale: float  # pixels per metre
    flip: float  # +1, or -1 for a mirrored (reverse) shot
    tex_x: float
    tex_y: float
    tex_w: int
    tex_h: int
    off_x: np.ndarray
    off_y: np.ndarray


@dataclass(frozen=True)
class View:
    """The camera over a chunk of frames of one segment: fixed zoom and side, per-frame origin [n]."""

    scale: float  # pixels per metre
    flip: float  # ±1
    x_origin: np.ndarray
    y_origin: np.ndarray
    picture_h: int

    def to_pixels(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Picture pixel coordinates (continuous) of world points given per frame [n]."""
        return self.flip * (x - self.x_origin) * self.scale, (self.y_origin - y) * self.scale


@dataclass(frozen=True)
class CameraPlan:
    """Per-frame world→picture maps [T] plus the backdrop segments that tile the clip."""

    segments: tuple[Segment, ...]
    shot: np.ndarray  # [T] int32
    scale: np.ndarray  # [T] pixels per metre
    flip: np.ndarray  # [T] ±1
    x_origin: np.ndarray  # [T] world x at the outer edge of picture column 0
    y_origin: np.ndarray  # [T] world y at the top edge of the picture

    def to_pixels(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Picture pixel coordinates (continuous, pixel k spans [k, k+1]) of world points [T]."""
        return self.flip * (x - self.x_origin) * self.scale, (self.y_origin - y) * self.scale

    def view(self, start: int, stop: int, layout: Layout) -> View:
        """The camera over frames [start, stop), which must lie in one segment."""
        sl = slice(start, stop)
        return View(float(self.scale[start]), float(self.flip[start]), self.x_origin[sl], self.y_origin[sl],
                    layout.picture_h)  # fmt: skip

    def rectangles(self, layout: Layout) -> np.ndarray:
        """[T, 5] float32: (x0, y0, x1, y1, mirrored) world rectangle shown by each frame."""
        w_m, h_m = layout.width / self.scale, layout.picture_h / self.scale
        x0 = np.where(self.flip > 0, self.x_origin, self.x_origin - w_m)
        mirrored = (self.flip < 0).astype(np.float64)
        return np.stack([x0, self.y_origin - h_m, x0 + w_m, self.y_origin, mirrored], axis=-1).astype(
            np.float32
        )


def _smooth(x: np.ndarray, sigma_frames: float) -> np.ndarray:
    """Gaussian smoothing along time with edge hold (camera moves ease instead of jitter)."""
    if sigma_frames < 0.5 or len(x) < 2:
        return x.copy()
    r = int(np.ceil(3 * sigma_frames))
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma_frames) ** 2)
    return np.convolve(np.pad(x, r, mode="edge"), k / k.sum(), mode="valid")


def _stage_box(scene: Scene) -> tuple[float, float, float, float]:
    st = scene.stage
    return -SIDE_MARGIN, -FLOOR_MARGIN, st.width + SIDE_MARGIN, st.height


def wide_size(scene: Scene, aspect: float) -> tuple[float, float]:
    """Window (width, height) in metres of the wide shot: the whole stage, or a taller-narrower cut of it."""
    x0, y0, x1, y1 = _stage_box(scene)
    bw, bh = x1 - x0, y1 - y0
    if bw / bh <= aspect:
        h = max(bw / aspect, MIN_SQUASH * bh)
        return h * aspect, h
    h = min(bh * MAX_STRETCH, bw / aspect)
    return h * aspect, h


def _frame_action(scene: Scene, bodies: tuple[Track, ...], sel: slice, w: float, fps: float) -> np.ndarray:
    """Window centre x per frame: the stage centre, the middle of the action, or following it."""
    x0, _, x1, _ = _stage_box(scene)
    n = sel.stop - sel.start
    if w >= x1 - x0:
        return np.full(n, 0.5 * (x0 + x1))
    ext = action_extent(bodies, n=len(bodies[0].pos)) if bodies else None
    if ext is None:
        return np.full(n, 0.5 * (x0 + x1))
    lo, hi = ext[0][sel], ext[1][sel]
    if hi.max() - lo.min() <= w:
        centre = np.full(n, 0.5 * (lo.min() + hi.max()))
    else:
        centre = _smooth(0.5 * (lo + hi), 0.5 * fps)
    return np.clip(centre, x0 + 0.5 * w, x1 - 0.5 * w)


def _target(
    shot: Shot, objects: tuple[ObjectTrack, ...], characters: tuple[CharacterTrack, ...]
) -> Track | None:
    """The body a shot frames: its target, else the first character, else the first object."""
    if shot.target is None:
        pool = characters or objects
        return pool[0] if pool else None
    for tr in (*objects, *characters):
        body = tr.obj if isinstance(tr, ObjectTrack) else tr.char
        if body.id == shot.target:
            return tr
    raise ValueError(f"shot at {shot.start:g}s targets {shot.target!r}, which is not an object or character")


def shot_windows(
    scene: Scene, k: int, sel: slice, objects: tuple[ObjectTrack, ...], characters: tuple[CharacterTrack, ...],
    aspect: float, fps: float,
) -> tuple[np.ndarray, np.ndarray, float, float]:  # fmt: skip
    """Window centres (x [n], y [n]) and size (w, h) in metres for frames `sel` of shot k."""
    shot = scene.shots[k] if scene.shots else Shot(0.0)  # no shots at all: one wide shot
    n = sel.stop - sel.start
    ww, wh = wide_size(scene, aspect)
    _, by0, _, by1 = _stage_box(scene)
    bottom = by0 - 0.15 * max(0.0, wh - (by1 - by0))
    if shot.framing == "close":
        tr = _target(shot, objects, characters)
        if tr is None:
            w, h = 0.5 * ww, 0.5 * wh
            return _frame_action(scene, (), sel, w, fps), np.full(n, bottom + 0.5 * h), w, h
        if isinstance(tr, CharacterTrack):
            return _close_on_character(tr.char, n, aspect)
        h = float(np.clip(9.0 * max(tr.half_extents()[0].max(), tr.obj.size), 1.0, 2.5))
        cx = _smooth(tr.pos[sel, 0], 0.2 * fps)
        cy = np.maximum(_smooth(tr.pos[sel, 1], 0.2 * fps), 0.2 * h)
        return cx, cy, h * aspect, h
    bodies = (*objects, *characters)
    if shot.framing == "reverse":
        w, h = REVERSE_ZOOM * ww, REVERSE_ZOOM * wh
        if shot.target is not None:
            tr = _target(shot, objects, characters)
            x0, _, x1, _ = _stage_box(scene)
            c = np.clip(tr.pos[sel, 0].mean(), x0 + 0.5 * w, x1 - 0.5 * w) if w < x1 - x0 else 0.5 * (x0 + x1)
            cx = np.full(n, c)
        else:
            cx = _frame_action(scene, bodies, sel, w, fps)
        return cx, np.full(n, bottom + 0.5 * h), w, h
    return _frame_action(scene, bodies, sel, ww, fps), np.full(n, bottom + 0.5 * wh), ww, wh


def _close_on_character(ch: Character, n: int, aspect: float) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Head and body with a little floor, leaving room on the side the character faces."""
    h = 1.5 * ch.height
    cx = ch.x + ch.facing * 0.12 * ch.height
    return np.full(n, cx), np.full(n, 0.55 * ch.height), h * aspect, h


def _runs_within(xs: list[float], ys: list[float], scale: float, layout: Layout, limit: float) -> list[int]:
    """Cut points so that each run's windows (picture-sized, at xs/ys) span at most `limit` pixels."""
    cuts, a, n = [], 0, len(xs)
    while a < n:
        lo_x = hi_x = xs[a]
        lo_y = hi_y = ys[a]
        b = a + 1
        while b < n:
            nlx, nhx, nly, nhy = min(lo_x, xs[b]), max(hi_x, xs[b]), min(lo_y, ys[b]), max(hi_y, ys[b])
            if ((nhx - nlx) * scale + layout.width) * ((nhy - nly) * scale + layout.picture_h) > limit:
                break
            lo_x, hi_x, lo_y, hi_y, b = nlx, nhx, nly, nhy, b + 1
        cuts.append(b)
        a = b
    return cuts


def _segments(
    start: int, k: int, cx: np.ndarray, cy: np.ndarray, w: float, h: float, flip: float, layout: Layout
) -> list[Segment]:
    """Split a shot into runs whose snapped windows fit one bounded backdrop texture."""
    scale = layout.width / w
    edge_x = cx - 0.5 * w * flip  # world x at picture column 0
    top = cy + 0.5 * h
    area = layout.width * layout.picture_h
    limit = max(2.5 * area, min(TEXTURE_FRAMES * area, TEXTURE_PIXELS))
    out, a = [], 0
    for b in _runs_within(edge_x.tolist(), top.tolist(), scale, layout, limit):
        ex, ty = edge_x[a:b], top[a:b]
        anchor_x = ex.min() if flip > 0 else ex.max()
        anchor_y = ty.max()
        off_x = np.rint(np.abs(ex - anchor_x) * scale).astype(np.int64)
        off_y = np.rint((anchor_y - ty) * scale).astype(np.int64)
        tex_w, tex_h = int(off_x.max()) + layout.width, int(off_y.max()) + layout.picture_h
        out.append(Segment(start + a, start + b, k, scale, flip, float(anchor_x), float(anchor_y), tex_w, tex_h,
                           off_x, off_y))  # fmt: skip
        a = b
    return out


def plan_camera(
    scene: Scene, objects: tuple[ObjectTrack, ...], characters: tuple[CharacterTrack, ...], times: np.ndarray,
    fps: float, layout: Layout,
) -> CameraPlan:  # fmt: skip
    """Shot per frame (cuts exactly at shot starts), windows, and the snapped per-frame maps."""
    n = len(times)
    shot = np.array([scene.shot_at(float(t)) for t in times], dtype=np.int32)
    segments: list[Segment] = []
    starts = [i for i in range(n) if i == 0 or shot[i] != shot[i - 1]]
    for a, b in zip(starts, [*starts[1:], n], strict=True):
        k = int(shot[a])
        cx, cy, w, h = shot_windows(scene, k, slice(a, b), objects, characters, layout.aspect, fps)
        flip = -1.0 if scene.shots and scene.shots[k].framing == "reverse" else 1.0
        segments += _segments(a, k, cx, cy, w, h, flip, layout)
    scale, flip, x_org, y_org = (np.empty(n) for _ in range(4))
    for seg in segments:
        sl = slice(seg.start, seg.stop)
        scale[sl], flip[sl] = seg.scale, seg.flip
        x_org[sl] = seg.tex_x + seg.flip * seg.off_x / seg.scale
        y_org[sl] = seg.tex_y - seg.off_y / seg.scale
    return CameraPlan(tuple(segments), shot, scale, flip, x_org, y_org)
