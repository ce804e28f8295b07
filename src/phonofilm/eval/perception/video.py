"""Seeing the world's bodies in frames: letterbox, cuts, background, moving blobs, tracks, contacts.

Classical computer vision on pixels alone. Per shot (cuts found from frame differences) the static
background is the temporal median; objects are the connected regions that differ from it (minus their
contact shadows), named by colour (`perception.colour`) and linked into tracks by colour and distance.
Characters, which stand still, come from `perception.characters`. Robust to the three styles: the
letterbox is cropped, colours are named under every style's palette and grade, and thresholds sit well
above moderate noise (σ ≈ 6 levels) and blur (σ ≈ 1 px).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

from phonofilm.eval.perception.colour import LUMA, NAMES, name_pixels, vote_colour


@dataclass(frozen=True)
class VideoConfig:
    """Detection thresholds (colour levels 0..255; areas as fractions of the picture)."""

    bar_luma: float = 24.0  # letterbox rows are darker than this nearly everywhere
    cut_changed: float = 0.12  # a cut changes at least this fraction of a coarse frame (and spikes)
    cut_level: float = 24.0  # a coarse pixel "changed" when it moves by more than this
    fg_level: float = 30.0  # foreground: colour distance to the background above this
    min_area: float = 4e-4  # blobs smaller than this (fraction of picture) are noise or rain
    max_area: float = 0.25
    max_colour_distance: float = 22.0  # ΔE beyond which a blob's colour is not a world colour
    track_gap: int = 3  # frames a track may go unseen (occlusion, splash) and still continue
    split_min_pixels: int = 6  # a second colour needs this many pixels to split a region in two


@dataclass(frozen=True)
class Blob:
    """One detected region in one frame. Coordinates are picture pixels (letterbox removed)."""

    frame: int
    x: float  # centroid
    y: float
    area: float  # pixels
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive ends)
    colour: str
    colour_distance: float
    rgb: tuple[float, float, float]
    elongation: float  # sqrt of the ratio of principal second moments (1 for discs and squares)


@dataclass(frozen=True)
class Track:
    """A body followed across frames of one shot: frames [n] ascending, xy [n, 2], area [n]."""

    colour: str
    shot: int
    frames: np.ndarray
    xy: np.ndarray
    area: np.ndarray
    elongation: np.ndarray
    boxes: np.ndarray  # [n, 4]
    votes: dict[str, float] = field(default_factory=dict)  # colour name → share of the track's blob area

    def looks(self, colour: str, share: float = 0.25) -> bool:
        """Whether the track reads as `colour`: its majority, or a large minority (tiny, compressed or
        translucent objects sit between two names)."""
        return colour == self.colour or self.votes.get(colour, 0.0) >= share

    @property
    def length(self) -> int:
        return len(self.frames)


@dataclass(frozen=True)
class Picture:
    """Where the picture is inside the frame (letterbox bars excluded) and per-frame shot indices."""

    top: int
    bottom: int  # exclusive
    shots: np.ndarray  # [T] int
    static: tuple[bool, ...] = field(default=())  # per shot: camera holds still (background = median)

    @property
    def height(self) -> int:
        return self.bottom - self.top

    def shot_ranges(self) -> list[tuple[int, int]]:
        """[start, stop) frame range of every shot."""
        change = np.flatnonzero(np.diff(self.shots) != 0) + 1
        bounds = [0, *change.tolist(), len(self.shots)]
        return list(itertools.pairwise(bounds))


def luma(frames: np.ndarray) -> np.ndarray:
    """[..., 3] → [...] luma."""
    return np.asarray(frames, dtype=np.float64) @ LUMA


def picture_rows(frames: np.ndarray, cfg: VideoConfig = VideoConfig()) -> tuple[int, int]:
    """(top, bottom) rows of the picture: letterbox bars are rows dark in ≥ 97 % of their pixels."""
    dark = (luma(frames[:: max(1, len(frames) // 16)]) < cfg.bar_luma).mean(axis=(0, 2))  # [H]
    bar = dark >= 0.97
    h = len(bar)
    top = 0
    while top < h // 3 and bar[top]:
        top += 1
    bottom = h
    while bottom > h - h // 3 and bar[bottom - 1]:
        bottom -= 1
    return top, bottom


def coarse(frames: np.ndarray, size: tuple[int, int] = (18, 32)) -> np.ndarray:
    """Area-downsampled float frames [T, h, w, 3] (noise and small motion average out)."""
    x = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float()  # t c h w
    return F.interpolate(x, size=size, mode="area").permute(0, 2, 3, 1).double().numpy()


def detect_cuts(frames: np.ndarray, cfg: VideoConfig = VideoConfig()) -> np.ndarray:
    """Frame indices t where a new shot starts (frame t differs wholesale from frame t-1)."""
    if len(frames) < 2:
        return np.zeros(0, dtype=int)
    small = coarse(frames)
    change = np.abs(np.diff(small, axis=0)).max(axis=-1)  # [T-1, h, w]
    changed = (change > cfg.cut_level).mean(axis=(1, 2))
    # a cut is a spike: a moving camera changes much of the frame too, but frame after frame
    padded = np.pad(changed, 2, mode="edge")
    around = np.max([padded[k : k + len(changed)] for k in (0, 1, 3, 4)], axis=0)
    spike = (changed >= cfg.cut_changed) & (changed >= 2.5 * around)
    return np.flatnonzero(spike | (changed >= 0.6)) + 1


def analyse_picture(frames: np.ndarray, cfg: VideoConfig = VideoConfig()) -> Picture:
    """Letterbox, shots and whether each shot's camera is still."""
    top, bottom = picture_rows(frames, cfg)
    pic = frames[:, top:bottom]
    shots = np.zeros(len(frames), dtype=int)
    for c in detect_cuts(pic, cfg):
        shots[c:] += 1
    p = Picture(top, bottom, shots)
    static = []
    for a, b in p.shot_ranges():
        if b - a < 2:
            static.append(True)
            continue
        small = coarse(pic[a:b], (36, 64))
        moved = (np.abs(np.diff(small, axis=0)).max(axis=-1) > 12).mean(axis=(1, 2))
        static.append(bool(np.median(moved) < 0.08))  # a moving camera shifts most of the frame
    return Picture(top, bottom, shots, tuple(static))


def shadow_like(frame: np.ndarray, background: np.ndarray) -> np.ndarray:
    """[h, w] bool: darker than the background by a common factor in [0.4, 0.97] (hue kept)."""
    ratio = (frame.astype(np.float64) + 8.0) / (background.astype(np.float64) + 8.0)
    hi, lo = ratio.max(axis=-1), ratio.min(axis=-1)
    return (hi < 0.97) & (lo > 0.4) & (hi - lo < 0.2)


def difference(frame: np.ndarray, background: np.ndarray) -> np.ndarray:
    """[h, w] colour distance to the background, averaged over 3×3 so noise does not speckle it."""
    d = np.abs(frame.astype(np.float64) - background.astype(np.float64)).max(axis=-1)
    return ndimage.uniform_filter(d, 3)


def frame_blobs(frame: np.ndarray, background: np.ndarray, t: int, cfg: VideoConfig = VideoConfig()) -> list[Blob]:
    """Regions of `frame` [h, w, 3] that differ from `background`, contact shadows removed, colours named."""
    h, w = frame.shape[:2]
    strength = difference(frame, background)
    mask = ndimage.binary_closing(strength > cfg.fg_level, np.ones((3, 3)), border_value=0)
    labels, _ = ndimage.label(mask)
    shadow = shadow_like(frame, background)
    out = []
    for k, sl in enumerate(ndimage.find_objects(labels), start=1):
        if sl is None:
            continue
        area = int((labels[sl] == k).sum())
        if not (cfg.min_area * h * w <= area <= cfg.max_area * h * w):
            continue
        grown = tuple(slice(max(0, a.start - 2), a.stop + 2) for a in sl)  # room for a 2-pixel ring
        region = labels[grown] == k
        if _is_hole(frame[grown], background[grown], region):
            continue
        solid = region & ~shadow[grown]
        for part in _split_by_colour(frame[grown], solid if solid.sum() >= 0.3 * region.sum() else region, cfg):
            blob = _describe(frame[grown], background[grown], strength[grown], part & solid, part, grown, t, cfg)
            if blob is not None:
                out.append(blob)
    return out


def _split_by_colour(pixels: np.ndarray, region: np.ndarray, cfg: VideoConfig, max_pixels: int = 2000) -> list[np.ndarray]:
    """Split a region whose pixels carry two clearly different colours (two bodies touching or
    overlapping) into one region per colour; otherwise return it whole."""
    ys, xs = np.nonzero(region)
    if len(ys) > max_pixels or len(ys) < 8:
        return [region]
    idx, dist = name_pixels(pixels[ys, xs])
    good = dist < cfg.max_colour_distance
    counts = np.bincount(idx[good], minlength=len(NAMES))
    top = np.argsort(counts)[::-1][:2]
    if counts[top[1]] < max(0.35 * good.sum(), cfg.split_min_pixels):
        return [region]
    # two bodies sit side by side; a shaded rim, a band or a highlight shares its body's centre
    centres = [np.array([xs[good & (idx == k)].mean(), ys[good & (idx == k)].mean()]) for k in top]
    if np.hypot(*(centres[0] - centres[1])) < 0.45 * np.sqrt(len(ys)):
        return [region]
    parts = []
    for k in top:
        part = np.zeros_like(region)
        part[ys[good & (idx == k)], xs[good & (idx == k)]] = True
        parts.append(ndimage.binary_closing(part, np.ones((3, 3))) & region)
    return parts


def _is_hole(frame: np.ndarray, background: np.ndarray, region: np.ndarray) -> bool:
    """A region where the background holds a resting object the frame does not show (yet, or any more):
    in the frame it blends with its surroundings, in the background it stands out."""
    ring = ndimage.binary_dilation(region, np.ones((5, 5))) & ~region
    if not ring.any():
        return False
    contrast = lambda img: np.abs(img[region].mean(axis=0) - img[ring].mean(axis=0)).max()  # noqa: E731
    return bool(contrast(frame.astype(np.float64)) < contrast(background.astype(np.float64)))


def _describe(pixels: np.ndarray, behind: np.ndarray, strength: np.ndarray, solid: np.ndarray, region: np.ndarray,
              sl: tuple[slice, slice], t: int, cfg: VideoConfig) -> Blob | None:  # fmt: skip
    """A Blob from one labelled region, or None for pure shadows, rain streaks and unnamed colours."""
    ys, xs = np.nonzero(region)
    bh, bw = ys.max() - ys.min() + 1, xs.max() - xs.min() + 1
    if solid.sum() < 0.3 * region.sum():
        if bw > 2.2 * bh:  # a flat dark ellipse on the floor: a contact shadow
            return None
        solid = region  # a grey object on a grey background looks like a shadow: keep it whole
    ys, xs = np.nonzero(solid)
    wts = strength[ys, xs]
    cov = np.cov(np.stack([xs, ys])) if len(xs) > 2 else np.eye(2)
    ev = np.linalg.eigvalsh(cov + 1e-6 * np.eye(2))
    elongation = float(np.sqrt(ev[1] / max(ev[0], 1e-6)))
    if elongation > 4.0:  # rain streaks and thin edges
        return None
    rgb = np.median(pixels[ys, xs], axis=0)
    match = vote_colour(pixels[ys, xs], wts, behind[ys, xs])
    if match.distance > cfg.max_colour_distance:
        return None
    y0, x0 = sl[0].start, sl[1].start
    return Blob(
        frame=t, x=float(np.average(xs, weights=wts) + x0 + 0.5), y=float(np.average(ys, weights=wts) + y0 + 0.5),
        area=float(len(xs)), box=(x0 + int(xs.min()), y0 + int(ys.min()), x0 + int(xs.max()) + 1, y0 + int(ys.max()) + 1),
        colour=match.name, colour_distance=match.distance, rgb=tuple(float(c) for c in rgb), elongation=elongation,
    )


def link_tracks(blobs: list[list[Blob]], shot: int, start: int, cfg: VideoConfig = VideoConfig(),
                gate: float = 12.0) -> list[Track]:  # fmt: skip
    """Link per-frame blobs of one shot into tracks: same colour, nearest to the predicted position.

    Prediction is constant velocity; the gate (pixels) grows with the track's speed so fast throws
    stay linked. Tracks shorter than 3 frames are dropped (flicker, splashes).
    """
    open_: list[list[Blob]] = []
    done: list[list[Blob]] = []
    for k, frame in enumerate(blobs):
        t = start + k
        free = list(frame)
        # longest tracks pick first: an established object keeps its identity through a crossing
        for tr in sorted(open_, key=len, reverse=True):
            px, py, speed = _predict(tr, t)
            if not free:
                continue
            # colour names of small blobs can flicker (white/gray): another name costs half a gate
            cost = lambda b: np.hypot(b.x - px, b.y - py) + (0.0 if b.colour == tr[-1].colour else 0.5 * gate)  # noqa: E731,B023
            best = min(free, key=cost)
            if cost(best) <= gate + 1.5 * speed:
                tr.append(best)
                free.remove(best)
        still = []
        for tr in open_:
            (still if t - tr[-1].frame <= cfg.track_gap else done).append(tr)
        open_ = still + [[b] for b in free]
    done += open_
    return [_to_track(tr, shot) for tr in done if len(tr) >= 3]


def _predict(tr: list[Blob], t: int) -> tuple[float, float, float]:
    last = tr[-1]
    if len(tr) < 2:
        return last.x, last.y, 0.0
    prev = tr[-2]
    dt = max(1, last.frame - prev.frame)
    vx, vy = (last.x - prev.x) / dt, (last.y - prev.y) / dt
    ahead = t - last.frame
    return last.x + vx * ahead, last.y + vy * ahead, float(np.hypot(vx, vy)) * ahead


def _to_track(tr: list[Blob], shot: int) -> Track:
    votes: dict[str, float] = {}
    for b in tr:
        votes[b.colour] = votes.get(b.colour, 0.0) + b.area
    total = sum(votes.values())
    return Track(
        colour=max(votes, key=votes.__getitem__),
        shot=shot,
        frames=np.array([b.frame for b in tr]),
        xy=np.array([[b.x, b.y] for b in tr]),
        area=np.array([b.area for b in tr]),
        elongation=np.array([b.elongation for b in tr]),
        boxes=np.array([b.box for b in tr], dtype=float),
        votes={k: v / total for k, v in votes.items()},
    )


def moves(track: Track, min_travel: float = 2.0) -> bool:
    """Whether a track really moves (holes left by resting objects, blinks and ripples do not)."""
    span = track.xy.max(axis=0) - track.xy.min(axis=0)
    return bool(np.hypot(*span) >= min_travel)


def world_scale(width: int, picture_h: int) -> float:
    """Pixels per metre of the world's wide shot at this picture size (its public framing convention:
    the default stage with its margins fills the picture; see world/render/camera.py)."""
    from phonofilm.world.render.camera import wide_size
    from phonofilm.world.scene import Scene

    _, h_m = wide_size(Scene(seed=0, duration=1.0), width / picture_h)
    return picture_h / h_m


@dataclass(frozen=True)
class Perception:
    """What the picture shows: letterbox and shots, per-shot backgrounds, moving-object tracks."""

    fps: float
    width: int
    picture: Picture
    backgrounds: tuple[np.ndarray, ...]  # per shot [h, w, 3] float (temporal median; None-like zeros if moving)
    tracks: tuple[Track, ...]  # moving objects in still shots

    @property
    def scale(self) -> float:
        """Pixels per metre, assuming the world's wide framing."""
        return world_scale(self.width, self.picture.height)

    @property
    def gravity_px(self) -> float:
        """The world's gravity (9.81 m/s²) in pixels per frame² at this size and frame rate."""
        return 9.81 * self.scale / self.fps**2


def shot_background(frames: np.ndarray, level: float = 30.0) -> np.ndarray:
    """The still background of a shot [T, h, w, 3] → [h, w, 3] float: the temporal median, except where
    an object rests at the start and leaves (or arrives and rests until the end): there the median may
    show the object, so the start or end value is taken, whichever continues the surrounding background."""
    frames = np.asarray(frames)
    median = np.median(frames, axis=0)
    q = max(1, len(frames) // 4)
    start, end = np.median(frames[:q], axis=0), np.median(frames[-q:], axis=0)
    uncertain = ndimage.binary_dilation(np.abs(start - end).max(axis=-1) > level, np.ones((3, 3)))
    if not uncertain.any():
        return median
    certain = (~uncertain).astype(np.float64)
    sigma = max(2.0, 0.03 * frames.shape[1])
    weight = ndimage.gaussian_filter(certain, sigma) + 1e-6
    around = np.stack([ndimage.gaussian_filter(median[..., c] * certain, sigma) for c in range(3)], -1) / weight[..., None]
    pick_start = np.abs(start - around).sum(-1) <= np.abs(end - around).sum(-1)
    chosen = np.where(pick_start[..., None], start, end)
    return np.where(uncertain[..., None], chosen, median)


def perceive_video(frames: np.ndarray, fps: float, cfg: VideoConfig = VideoConfig()) -> Perception:
    """Letterbox, shots, backgrounds and object tracks of a clip's frames [T, H, W, 3]."""
    picture = analyse_picture(frames, cfg)
    pic = frames[:, picture.top : picture.bottom]
    backgrounds, tracks = [], []
    for shot, (a, b) in enumerate(picture.shot_ranges()):
        bg = shot_background(pic[a:b])
        backgrounds.append(bg)
        if not picture.static[shot]:
            continue  # a moving camera has no single background: objects are not tracked there
        blobs = [frame_blobs(pic[t], bg, t, cfg) for t in range(a, b)]
        tracks += [tr for tr in link_tracks(blobs, shot, a, cfg) if moves(tr)]
    return Perception(float(fps), frames.shape[2], picture, tuple(backgrounds), tuple(tracks))
