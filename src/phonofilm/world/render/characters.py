"""Characters: a body (blob, tall capsule or rounded box) in colour and pattern, feet, eyes and a mouth.

The eyes look towards `facing` and blink; the mouth opening follows the speech (0 = a closed line,
1 = wide open and dark inside). All sizes are fractions of the character's height, so a character
looks the same in a wide shot and in a close-up, at any resolution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from phonofilm.world.render.camera import View
from phonofilm.world.render.raster import (
    Canvas,
    band_alpha,
    blend_premultiplied,
    coverage,
    fill_with_outline,
    paint,
    patch_around,
    planar,
    sd_box,
    sd_circle,
    sd_ellipse,
    sd_segment,
)
from phonofilm.world.render.styles import OUTLINE_RGB, StyleSpec, grade, named, outline_px, shade
from phonofilm.world.render.tracks import BODY_HALF_WIDTH, FOOT_RX, FOOT_RY, FOOT_X, FOOT_Y, CharacterTrack
from phonofilm.world.scene import Character

F32 = np.float32
LIFT = 0.04  # the body starts this fraction of the height above the floor; the feet fill the gap
MOUTH_RGB = (70, 20, 34)
TONGUE_RGB = (222, 96, 116)
SCLERA_RGB = (250, 250, 246)
PUPIL_RGB = (24, 20, 28)
SPOT_R = 0.075  # spot radius, fraction of the height
# Candidate spot centres (fractions of half-width, of height); those that would touch the face are skipped.
SPOT_SITES = (
    (-0.55, 0.24), (0.5, 0.2), (-0.1, 0.12), (0.62, 0.5), (-0.62, 0.56), (0.22, 0.3), (-0.3, 0.4),
    (0.0, 0.9), (-0.68, 0.8), (0.66, 0.78), (0.3, 0.1), (-0.75, 0.38),
)  # fmt: skip
SPOT_STEP = 5  # coprime to len(SPOT_SITES): each identity walks all sites in its own order


@dataclass(frozen=True)
class Face:
    """Face layout as fractions of the height."""

    eye_y: float
    eye_dx: float
    eye_r: float
    shift: float  # how far the face turns towards `facing`
    mouth_y: float
    mouth_w: float


FACES = {
    "blob": Face(0.64, 0.15, 0.085, 0.09, 0.43, 0.1),
    "tall": Face(0.8, 0.085, 0.068, 0.05, 0.64, 0.07),
    "square": Face(0.7, 0.13, 0.08, 0.07, 0.47, 0.09),
}


def body_distance(ch: Character, u: np.ndarray, vf: np.ndarray) -> np.ndarray:
    """Signed distance (metres) to the body; u from the centre line, vf up from the floor."""
    h = ch.height
    body_h = h * (1.0 - LIFT)
    mid = LIFT * h + 0.5 * body_h
    hw = BODY_HALF_WIDTH[ch.body] * h
    if ch.body == "blob":
        return sd_ellipse(u, vf - mid, hw, 0.5 * body_h)
    if ch.body == "tall":
        return sd_segment(u, vf, 0.0, LIFT * h + hw, 0.0, h - hw) - hw
    return sd_box(u, vf - mid, hw, 0.5 * body_h, 0.32 * hw)


def spot_sites(ch: Character) -> list[tuple[float, float]]:
    """Up to five spot centres (metres: across from the centre line, up from the feet) clear of the face."""
    h, hw, face = ch.height, BODY_HALF_WIDTH[ch.body] * ch.height, FACES[ch.body]
    fx, fy = face.shift * ch.facing * h, 0.5 * (face.eye_y + face.mouth_y) * h
    ax = (face.eye_dx + face.eye_r + SPOT_R) * h + 0.02 * h
    ay = 0.5 * (face.eye_y - face.mouth_y) * h + (face.eye_r + SPOT_R + 0.12) * h
    out = []
    for k in range(len(SPOT_SITES)):
        sx, sy = SPOT_SITES[(ch.identity + SPOT_STEP * k) % len(SPOT_SITES)]
        x, y = sx * hw, sy * h
        if ((x - fx) / ax) ** 2 + ((y - fy) / ay) ** 2 > 1.0 and len(out) < 5:
            out.append((x, y))
    return out


def _pattern(ch: Character, u: np.ndarray, vf: np.ndarray, scale: float) -> np.ndarray | None:
    """Coverage of the pattern colour on the body, or None for a solid body."""
    h = ch.height
    if ch.pattern == "stripes":
        period = 0.17 * h
        wave = np.sin(vf * F32(2 * np.pi / period))
        return band_alpha(wave, 0.25, 2 * np.pi / period / scale)
    if ch.pattern == "spots":
        d = None
        for sx, sy in spot_sites(ch):
            dk = sd_circle(u - sx, vf - sy, SPOT_R * h)
            d = dk if d is None else np.minimum(d, dk)
        return coverage(d * scale) if d is not None else None
    return None


def _eyes(
    rgb: np.ndarray, ch: Character, face: Face, u, vf, open_: np.ndarray, scale: float, ol: float
) -> None:
    """Sclera, pupils looking towards `facing`, and a catch-light; `open_` [m,1,1] squashes them (blink)."""
    h, f = ch.height, ch.facing
    r = face.eye_r * h
    for side in (-1.0, 1.0):
        ex = (face.shift * f + side * face.eye_dx) * h
        ey = face.eye_y * h
        sclera = sd_ellipse(u - ex, vf - ey, r, r * open_) * scale
        if ol:
            paint(rgb, coverage(sclera - 0.7 * ol), OUTLINE_RGB)
        inside = coverage(sclera)
        paint(rgb, inside, SCLERA_RGB)
        px, py = ex + f * 0.42 * r, ey - 0.08 * r
        pupil = coverage(sd_ellipse(u - px, vf - py, 0.52 * r, 0.52 * r * open_) * scale) * inside
        paint(rgb, pupil, PUPIL_RGB)
        glint = coverage(sd_circle(u - (px - 0.18 * r), vf - (py + 0.18 * r), 0.16 * r) * scale) * pupil
        paint(rgb, glint, SCLERA_RGB)


def _mouth(rgb: np.ndarray, ch: Character, face: Face, u, vf, mouth: np.ndarray, scale: float) -> None:
    """A closed line at 0, an open dark oval with a tongue at 1; `mouth` [m,1,1]."""
    h = ch.height
    mx, my = face.shift * ch.facing * 1.1 * h, face.mouth_y * h
    w = face.mouth_w * h
    a = w * (1.0 - 0.22 * mouth)
    b = 0.01 * h + 0.1 * h * mouth
    oval = sd_ellipse(u - mx, vf - my + 0.5 * b, a, b)  # opens downwards from the lip line
    line = sd_segment(u, vf, mx - w, my, mx + w, my) - 0.5 * max(0.014 * h, 0.8 / scale)
    paint(rgb, coverage(np.minimum(oval, line) * scale), MOUTH_RGB)
    tongue = sd_ellipse(u - mx, vf - (my - 1.6 * b), 0.62 * a, 0.7 * b)
    t = coverage(tongue * scale) * coverage(oval * scale) * np.clip((mouth - 0.15) * 4.0, 0.0, 1.0)
    paint(rgb, t, TONGUE_RGB)


def _face_window(
    ch: Character, face: Face, u: np.ndarray, vf: np.ndarray, margin: float
) -> tuple[slice, slice]:
    """Patch rows and columns that hold the eyes and the mouth (at its widest), so only they are redrawn."""
    h, r = ch.height, face.eye_r * ch.height
    centre = face.shift * ch.facing * h
    half = max(face.eye_dx * h + r, face.mouth_w * h + abs(0.1 * centre)) + margin
    top, bottom = face.eye_y * h + r + margin, face.mouth_y * h - 0.27 * h - margin
    cols = np.flatnonzero(np.abs(u[0, 0] - centre) <= half)
    rows = np.flatnonzero((vf[0, :, 0] >= bottom) & (vf[0, :, 0] <= top))
    if len(cols) == 0 or len(rows) == 0:
        return slice(0, 0), slice(0, 0)
    return slice(max(0, rows[0] - 1), rows[-1] + 2), slice(max(0, cols[0] - 1), cols[-1] + 2)


def _body_light(u, vf, d, h: float, style: StyleSpec) -> np.ndarray:
    """Soft light from the upper left with darker edges (cel bands in anime)."""
    light = 0.86 + 0.5 * (-0.45 * u + 0.62 * (vf - 0.6 * h)) / h
    if not style.cel:
        light = light * (0.8 + 0.2 * np.sqrt(np.clip(-d / (0.12 * h), 0.0, 1.0)))
    return light


def draw_character(canvas: Canvas, view: View, track: CharacterTrack, sl: slice, style: StyleSpec) -> None:
    """Draw one character over the chunk of frames `sl` of its track."""
    ch = track.char
    h = ch.height
    hw = BODY_HALF_WIDTH[ch.body] * h
    bob = track.bob[sl]
    cx, cy = view.to_pixels(np.full(len(bob), ch.x), 0.5 * h + bob)
    ol = outline_px(style, view.picture_h)
    rx, ry = track.outer_half_width * view.scale, 0.52 * h * view.scale
    eyes = np.round(track.eyes[sl] * 16.0) / 16.0  # quantised so that alike frames are drawn once
    mouth = np.round(track.mouth[sl] * 64.0) / 64.0
    state = np.stack([eyes, mouth], axis=-1)
    # Half-pixel steps are enough for the idle bob and let a still character be drawn a few times only.
    patch = patch_around(canvas, cx, cy, rx + ol + 1, ry + ol + 1, state=state, subpixel=2)
    if patch.empty:
        return
    k = patch.rep
    u, v = patch.local(view.scale, view.flip)
    vf = v + F32(0.5 * h)  # metres above the feet
    d = body_distance(ch, u, vf)
    color = named(ch.color, style)
    pat = _pattern(ch, u, vf, view.scale)
    if pat is not None:
        color = np.broadcast_to(planar(color, 3), (3, *d.shape)).copy()
        paint(color, pat, named(ch.pattern_color, style))
    rgb = shade(color, _body_light(u, vf, d, h, style), None, style)  # [3, k, ph, pw]
    if not style.cel:
        gloss = np.exp(-((u + 0.4 * hw) ** 2 + (vf - 0.84 * h) ** 2) / (0.1 * h) ** 2) * F32(0.22)
        paint(rgb, gloss, (255.0, 255.0, 255.0))
    face = FACES[ch.body]
    rows, cols = _face_window(ch, face, u, vf, (ol + 2.0) / view.scale)
    fu, fv, frgb = u[:, :, cols], vf[:, rows, :], rgb[:, :, rows, cols]  # views: features draw in place
    _eyes(frgb, ch, face, fu, fv, eyes[k, None, None].astype(F32), view.scale, ol)
    _mouth(frgb, ch, face, fu, fv, mouth[k, None, None].astype(F32), view.scale)
    if style.grade:
        rgb = grade(rgb)
    premult, alpha = fill_with_outline(d * F32(view.scale), rgb, ol, OUTLINE_RGB)
    fx, fy, rx, ry = FOOT_X * hw, FOOT_Y * h, FOOT_RX * h, FOOT_RY * h
    feet = np.minimum(sd_ellipse(u + fx, vf - fy, rx, ry), sd_ellipse(u - fx, vf - fy, rx, ry))
    foot_rgb = named(ch.color, style) * F32(0.62)
    if style.grade:
        foot_rgb = grade(planar(foot_rgb, 1)).reshape(3)
    fp, fa = fill_with_outline(feet * F32(view.scale), planar(foot_rgb, 3), ol, OUTLINE_RGB)
    under = 1.0 - alpha
    blend_premultiplied(canvas, patch, premult + fp * under, alpha + fa * under)
