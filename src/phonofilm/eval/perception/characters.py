"""Finding the world's characters in a shot: a pair of eyes first, then the body around them.

Characters hold still, so they live in a shot's background (its temporal median). What makes a blob a
character is its face, so the search starts there. An eye is a small paper-white blob (the sclera;
inside a larger white patch, its whitest part) with a dark pupil in or just beside it; a face is two
such eyes of one size, side by side at one height, as far apart as the world's faces set them (2.5–3.5
eye radii between centres). The eyes also give the scale: an eye's radius is 7–8.5 % of the
character's height, so the body is looked for only inside the frame a character with those eyes can
fill. There the body is the connected patch around the eyes of pixels that either carry the colour
beside the eyes or stand out from their row's backdrop (walls, floors and skies change little along a
row), holes (pattern, mouth) filled; it must carry that colour in part, hold the eyes in its upper half
near its middle, and be narrower than the frame.

Measured against the world's ground-truth boxes (`benchmarks/character_finder.py`, docs/eval.md): a
smudge with the right body shape is not a character unless it has eyes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from phonofilm.eval.perception.colour import LUMA, NAMES, name_pixels, srgb_to_lab

MAX_WIDTH = 384  # the background is searched at most this wide (an eye must stay a few pixels across)
WHITE_MIN = 150.0  # every channel of a sclera pixel is at least this (shading, grade and blur included)
WHITE_SPREAD = 70.0  # ... and its channels differ by at most this (white, not a pale colour)
SCLERA_MIN = 170.0  # the whitest pixel of an eye has every channel at least this (after 4:2:0 chroma) ...
SCLERA_SPREAD = 60.0  # ... and its channels differ by at most this
BRIGHTEST = 10.0  # inside a big white blob, sclera is within this (luma) of its brightest pixel
EYE_CONTRAST = 20.0  # an eye's whitest pixel is this much lighter (luma) than the median around it
PUPIL_RATIO = 0.45  # a pupil pixel's luma is at most this fraction of its sclera's brightest
MAX_EYE_FRACTION = 0.09  # an eye is at most this fraction of the picture height across (close-ups)
EYE_SPACING = (1.8, 5.5)  # eye centre distance in eye radii (the world's faces: 2.5–3.5)
HEIGHT_PER_EYE_RADIUS = (11.0, 15.5)  # character height in eye radii (faces: 11.8–14.7)
BODY_COLOUR_DISTANCE = 22.0  # ΔE (Lab) within which a pixel shares the body's colour
BODY_COLOUR_SHARE = 0.08  # at least this share of a body has the colour beside its eyes (shading, cel
# bands, stripes, spots and outlines take much of the rest; a hoop and its net, under this)
SCLERA_OVER_BODY = 6.0  # L* by which the eyes are lighter than the body
WALL_SHARE = 1.0  # a body pixel is nearer its colour than this share of the way to the wall beside it


@dataclass(frozen=True)
class CharacterView:
    """A character seen in one shot: its box (picture pixels), body colour and colour make-up."""

    shot: int
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive ends)
    colour: str
    palette: np.ndarray  # [len(NAMES)] fraction of the body's pixels named by each colour
    aspect: float  # height / width of the body

    @property
    def centre(self) -> tuple[float, float]:
        x0, y0, x1, y1 = self.box
        return 0.5 * (x0 + x1), 0.5 * (y0 + y1)


@dataclass(frozen=True)
class Eye:
    """A sclera blob with a pupil: centre (x, y) and radius, in searched-image pixels."""

    x: float
    y: float
    r: float
    box: tuple[slice, slice]


def _downsample(img: np.ndarray) -> tuple[np.ndarray, int]:
    """Block-average the image so it is at most MAX_WIDTH wide; returns (image, factor)."""
    f = max(1, int(np.ceil(img.shape[1] / MAX_WIDTH)))
    if f == 1:
        return img.astype(np.float64), 1
    h, w = img.shape[0] // f * f, img.shape[1] // f * f
    return img[:h, :w].reshape(h // f, f, w // f, f, 3).mean(axis=(1, 3)), f


def find_eyes(img: np.ndarray) -> list[Eye]:
    """Small near-white blobs brighter than what is around them, each with a dark pupil in or beside its
    box, in an image [h, w, 3] (0..255). Two eyes that blur into one blob are split."""
    luma = img @ LUMA
    largest = max(2, int(np.ceil(MAX_EYE_FRACTION * img.shape[0])))
    white = (img.min(axis=-1) >= WHITE_MIN) & (np.ptp(img, axis=-1) <= WHITE_SPREAD)
    out = []
    for blob in _blobs(white, luma, largest):
        for part in _split(*blob):
            eye = _eye(part, img, luma, largest)
            if eye is not None and not any(abs(eye.x - o.x) < o.r and abs(eye.y - o.y) < o.r for o in out):
                out.append(eye)
    return out


def _blobs(white: np.ndarray, luma: np.ndarray, largest: int) -> list[tuple[np.ndarray, tuple[slice, slice]]]:
    """(mask, box) of each white blob small enough to be an eye. A bigger one (a white body, a net, a
    cloud) is searched again for its brightest parts: sclera is the whitest paint the world has."""
    out = []
    labels, _ = ndimage.label(white)
    for k, sl in enumerate(ndimage.find_objects(labels), start=1):
        if sl is None:
            continue
        blob = labels[sl] == k
        if max(blob.shape) <= 2 * largest + 2:
            out.append((blob, sl))
        if max(blob.shape) > largest:
            inner = blob & (luma[sl] >= luma[sl][blob].max() - BRIGHTEST)
            sub, _ = ndimage.label(inner)
            for j, ss in enumerate(ndimage.find_objects(sub), start=1):
                if ss is not None:
                    box = (slice(sl[0].start + ss[0].start, sl[0].start + ss[0].stop),
                           slice(sl[1].start + ss[1].start, sl[1].start + ss[1].stop))  # fmt: skip
                    out.append((sub[ss] == j, box))
    return out


def _split(sclera: np.ndarray, sl: tuple[slice, slice]) -> list[tuple[slice, slice]]:
    """A blob over 1.6 times as wide as tall is two eyes run together: cut it at its thinnest middle column."""
    eh, ew = sclera.shape
    if ew < 1.6 * eh or ew < 4:
        return [sl]
    counts = sclera.sum(axis=0)
    lo, hi = ew // 4, ew - ew // 4
    cut = lo + int(np.argmin(counts[lo:hi]))
    ys = [np.nonzero(sclera[:, a:b].any(axis=1))[0] for a, b in ((0, cut), (cut, ew))]
    return [(slice(sl[0].start + y[0], sl[0].start + y[-1] + 1), slice(sl[1].start + a, sl[1].start + b))
            for y, (a, b) in zip(ys, ((0, cut), (cut, ew)), strict=True) if len(y)]  # fmt: skip


def _eye(sl: tuple[slice, slice], img: np.ndarray, luma: np.ndarray, largest: int) -> Eye | None:
    """An Eye when the blob has an eye's size and shape and a pupil in or just beside its box, else None."""
    eh, ew = sl[0].stop - sl[0].start, sl[1].stop - sl[1].start
    if not 2 <= max(eh, ew) <= largest or ew > 2.2 * eh + 1 or eh > 2.2 * ew + 1:
        return None  # walls, clouds, tiles and panes are bigger; lines, glints and specks thinner
    whitest = img[sl].reshape(-1, 3)[np.argmax(img[sl].min(axis=-1))]
    if whitest.min() < SCLERA_MIN or np.ptp(whitest) > SCLERA_SPREAD:
        return None  # pale sky, a light colour: the world's sclera is paper white
    h, w = luma.shape
    g = 1 + max(eh, ew) // 2  # the pupil may sit at the sclera's edge, blurred off it
    grown = luma[
        max(0, sl[0].start - g) : min(h, sl[0].stop + g), max(0, sl[1].start - g) : min(w, sl[1].stop + g)
    ]
    if grown.min() > PUPIL_RATIO * luma[sl].max():
        return None  # a white dot without a pupil: a highlight, a tile, a star
    if luma[sl].max() - np.median(grown) < EYE_CONTRAST:
        return None  # barely lighter than what surrounds it: pale sky by an outline, not an eye on a body
    return Eye(0.5 * (sl[1].start + sl[1].stop), 0.5 * (sl[0].start + sl[0].stop), 0.5 * max(eh, ew), sl)


def pair_eyes(eyes: list[Eye]) -> list[tuple[Eye, Eye]]:
    """Faces: eyes of one size side by side at one height and a face's spacing apart, each used once,
    the best aligned pairs first."""
    candidates = []
    for i, a in enumerate(eyes):
        for j in range(i + 1, len(eyes)):
            b = eyes[j]
            r = 0.5 * (a.r + b.r)
            dx, dy = abs(a.x - b.x), abs(a.y - b.y)
            if max(a.r, b.r) > 2.0 * min(a.r, b.r) or dy > 0.5 * r + 0.5:
                continue
            if EYE_SPACING[0] * r <= dx <= EYE_SPACING[1] * r:
                candidates.append((dy / r, i, j))
    used: set[int] = set()
    out = []
    for _, i, j in sorted(candidates):
        if i not in used and j not in used:
            used |= {i, j}
            out.append((eyes[i], eyes[j]) if eyes[i].x < eyes[j].x else (eyes[j], eyes[i]))
    return out


def find_characters(background: np.ndarray, shot: int = 0) -> list[CharacterView]:
    """Characters standing in a shot's background image [h, w, 3]: one per face with a body around it."""
    img, f = _downsample(background)
    faces = pair_eyes(find_eyes(img))
    if not faces:
        return []  # the common case in generated clips: the whole-picture colour work below is skipped
    lab = srgb_to_lab(img)
    standout = _standout(img)
    out: list[CharacterView] = []
    for left, right in faces:
        if any(_inside(e, o.box, f) for e in (left, right) for o in out):
            continue  # an eye of a body already found (or a spot on it) does not make another face
        found = _body(lab, standout, left, right)
        if found is None:
            continue
        body, (oy, ox) = found
        ys, xs = np.nonzero(body)
        y0, x0, y1, x1 = oy + ys.min(), ox + xs.min(), oy + ys.max() + 1, ox + xs.max() + 1
        box = (x0 * f, y0 * f, x1 * f, y1 * f)
        if any(_overlap(box, o.box) > 0.5 for o in out):
            continue  # the same body found again from a worse-aligned pair (spots, a pupil's glint)
        names = name_pixels(img[oy : oy + body.shape[0], ox : ox + body.shape[1]][body])[0]
        counts = np.bincount(names, minlength=len(NAMES))
        palette = counts / counts.sum()
        out.append(CharacterView(shot, box, NAMES[int(np.argmax(palette))], palette, (y1 - y0) / (x1 - x0)))
    return out


def _inside(eye: Eye, box: tuple[int, int, int, int], f: int) -> bool:
    return box[0] <= eye.x * f < box[2] and box[1] <= eye.y * f < box[3]


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Intersection area over the smaller box's area."""
    iw, ih = min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])
    small = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return max(iw, 0) * max(ih, 0) / max(small, 1)


def _standout(img: np.ndarray) -> np.ndarray:
    """Pixels that differ clearly from their row's backdrop: the median along the row over ±30 % of the
    width (a character is at most a fifth of it)."""
    span = max(3, int(0.6 * img.shape[1]) | 1)
    row_ref = ndimage.median_filter(img, size=(1, span, 1), mode="reflect")
    return np.abs(img - row_ref).max(axis=-1) > 28


def _body(lab: np.ndarray, standout: np.ndarray, left: Eye, right: Eye
          ) -> tuple[np.ndarray, tuple[int, int]] | None:  # fmt: skip
    """(body mask, its frame's top-left corner) around a face, or None when the eyes have no body of a
    character's colouring, size and build around them."""
    h, w = lab.shape[:2]
    r = 0.5 * (left.r + right.r)
    tallest = HEIGHT_PER_EYE_RADIUS[1] * r
    cx, cy = 0.5 * (left.x + right.x), 0.5 * (left.y + right.y)
    # the frame a character with these eyes can fill: its top is at most 0.36 of it above the eyes
    y0, y1 = max(0, int(cy - 0.45 * tallest)), min(h, int(np.ceil(cy + 0.85 * tallest)))
    x0, x1 = max(0, int(cx - 0.6 * tallest)), min(w, int(np.ceil(cx + 0.6 * tallest)))
    colour = _body_colour(lab, left, right)
    if colour is None or max(lab[e.box][..., 0].max() for e in (left, right)) - colour[0] < SCLERA_OVER_BODY:
        return None  # no body beside the eyes, or white on white: tiles, clouds, a net
    # a body the colour of the wall behind it: only pixels nearer the body's colour than the wall's count
    rows = slice(max(0, int(cy - r)), min(h, int(np.ceil(cy + r)) + 1))
    wall = min(float(np.linalg.norm(np.median(lab[rows, x], axis=0) - colour)) for x in (x0, x1 - 1))
    near = np.linalg.norm(lab[y0:y1, x0:x1] - colour, axis=-1) < min(BODY_COLOUR_DISTANCE, WALL_SHARE * wall)
    mask = ndimage.binary_closing(near | standout[y0:y1, x0:x1], np.ones((3, 3)))
    for e in (left, right):
        mask[e.box[0].start - y0 : e.box[0].stop - y0, e.box[1].start - x0 : e.box[1].stop - x0] = True
    labels, _ = ndimage.label(mask)
    k = labels[int(cy) - y0, int(cx) - x0]
    if k == 0:
        return None
    body = ndimage.binary_fill_holes(labels == k)
    if near[body].mean() < BODY_COLOUR_SHARE:
        return None  # mostly not the colour beside the eyes: a backdrop's clutter, not a body
    spans_frame = body[:, 0].any() and body[:, -1].any() and x0 > 0 and x1 < w
    return None if spans_frame or not _built_like_a_character(body, r, cx - x0, cy - y0) else (body, (y0, x0))


def _body_colour(lab: np.ndarray, left: Eye, right: Eye) -> np.ndarray | None:
    """Median Lab colour beside the eyes, at their height (the cheeks), or None off the picture."""
    h, w = lab.shape[:2]
    r = 0.5 * (left.r + right.r)
    rows = slice(max(0, int(left.y - r)), min(h, int(np.ceil(right.y + r)) + 1))
    beside = np.concatenate([lab[rows, max(0, int(left.x - 2 * left.r)) : left.box[1].start],
                             lab[rows, right.box[1].stop : min(w, int(np.ceil(right.x + 2 * right.r)))]], axis=1)  # fmt: skip
    return np.median(beside.reshape(-1, 3), axis=0) if beside.size else None


def _built_like_a_character(body: np.ndarray, r: float, cx: float, cy: float) -> bool:
    """A body tall enough for its eyes (radius r), with the eyes in its upper half and near its middle.
    (cx, cy): the eyes' midpoint in the mask's pixels."""
    rows, cols = np.nonzero(body.any(axis=1))[0], np.nonzero(body.any(axis=0))[0]
    height, width = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    if height < 0.6 * HEIGHT_PER_EYE_RADIUS[0] * r:
        return False  # two white dots on a small patch
    eyes_at = (cy - rows[0]) / height
    return 0.08 <= eyes_at <= 0.5 and abs(cx - 0.5 * (cols[0] + cols[-1] + 1)) <= 0.25 * width
