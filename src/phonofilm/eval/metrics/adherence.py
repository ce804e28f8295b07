"""Prompt adherence: what the prompt asked for, checked one fact at a time against pixels and sound.

The target is the prompt's parsed `PromptTarget`. Checks (each pass/fail, skipped when the prompt is
silent on it):
- style: the clip's style classifier agrees;          - ambience: the ambience classifier agrees;
- colour: for each requested object colour, a moving object reads as that colour (its majority name, or
  ≥ 25 % of its blob area: small, compressed or glass objects sit between two names); counts: at least
  as many such objects at once as requested;
- shape: a requested brick is elongated (a lying 2:1 slab), a ball or cube is not (judged only on
  blobs of ≥ 40 px);
- action: the object's first motion matches (dropped: falls from rest, little sideways speed; thrown:
  flies with real sideways speed; rolled/pushed: moves along its resting height);
- sound: requested sound words → impact-like onsets are heard;
- dialogue: quoted speech requested → speech is heard; none requested (and no crowd) → none heard;
- characters: at least as many characters seen as the prompt names.
Materials, floors, settings and props are not checked from pixels (documented in docs/eval.md).
`prompt_adherence` = passed / checked. Ideal 1; fails below 0.7.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from phonofilm.eval.analysis import ClipAnalysis, analysis_of
from phonofilm.eval.perception.classify import classify_ambience, classify_style
from phonofilm.eval.perception.video import Track
from phonofilm.eval.target import Target
from phonofilm.world.clip import Clip

BRICK_ELONGATION = 1.45
MIN_SHAPE_AREA = 40.0  # pixels: smaller blobs are too coarse to tell a slab from a cube


@dataclass(frozen=True)
class Check:
    """One fact: its name, what was asked, what was seen, and whether they agree."""

    name: str
    asked: str
    seen: str
    passed: bool


def adherence_checks(clip: Clip, target: Target, analysis: ClipAnalysis | None = None) -> list[Check]:
    """Every applicable check of the clip against the prompt's structured target."""
    spec = target.spec
    if spec is None:
        raise ValueError("prompt adherence needs target.spec (use Target.from_prompt)")
    a = analysis_of(clip, analysis)
    checks: list[Check] = []
    if spec.style:
        seen = classify_style(clip.frames)
        checks.append(Check("style", spec.style, seen, seen == spec.style))
    if spec.ambience:
        seen = classify_ambience(clip.audio, clip.sample_rate)
        checks.append(Check("ambience", spec.ambience, seen, seen == spec.ambience))
    checks += _object_checks(spec, a)
    if spec.sounds:
        n = len(a.impact_onsets)
        checks.append(Check("sound", ", ".join(spec.sounds), f"{n} impact onsets", n > 0))
    checks += _speech_checks(spec, a)
    if spec.characters:
        seen = max(Counter(c.shot for c in a.characters).values(), default=0)
        checks.append(Check("characters", str(len(spec.characters)), str(seen), seen >= len(spec.characters)))
    return checks


def _object_checks(spec, a: ClipAnalysis) -> list[Check]:
    checks = []
    by_colour: dict[str, list[Track]] = {}
    for tr in a.video.tracks:
        for name in tr.votes:
            if tr.looks(name):
                by_colour.setdefault(name, []).append(tr)
    wanted = Counter(o.color for o in spec.objects if o.color)
    for colour, n in wanted.items():
        tracks = by_colour.get(colour, [])
        seen = _max_simultaneous(tracks)
        checks.append(Check(f"colour:{colour}", f"{n}", f"{seen}", seen >= n))
    for o in spec.objects:
        tracks = by_colour.get(o.color, []) if o.color else []
        if not tracks:
            continue  # already failed as a colour; shape and action cannot be judged
        longest = max(tracks, key=lambda t: t.length)
        if o.shape and np.median(longest.area) >= MIN_SHAPE_AREA:
            elongated = float(np.median(longest.elongation)) > BRICK_ELONGATION
            seen = "brick" if elongated else "ball/cube"
            checks.append(Check(f"shape:{o.color}", o.shape, seen, elongated == (o.shape == "brick")))
        if o.action:
            seen = classify_action(longest, a.video.gravity_px)
            ok = seen == o.action or {seen, o.action} <= {"rolled", "pushed"}
            checks.append(Check(f"action:{o.color}", o.action, seen, ok))
    return checks


def _max_simultaneous(tracks: list[Track]) -> int:
    if not tracks:
        return 0
    frames = Counter(int(f) for tr in tracks for f in tr.frames)
    return max(frames.values())


def classify_action(track: Track, gravity_px: float) -> str:
    """dropped / thrown / rolled from the first moving frames of a track (pixels, y down)."""
    v = np.diff(track.xy, axis=0) / np.maximum(np.diff(track.frames), 1)[:, None]
    speed = np.hypot(v[:, 0], v[:, 1])
    moving = np.flatnonzero(speed > 0.3)
    if len(moving) == 0:
        return "none"
    first = moving[0]
    seg = v[first : first + 4]
    vx = float(np.abs(seg[:, 0]).mean())
    vy = float(seg[:, 1].mean())
    lowest = float(track.xy[:, 1].max())  # resting height (y grows downwards)
    radius = float(np.sqrt(np.median(track.area) / np.pi))
    on_floor = lowest - float(track.xy[first, 1]) < 1.5 * radius
    if on_floor and abs(vy) < 0.5 * max(vx, 1e-6):
        return "rolled"
    return "dropped" if vx < max(0.6, 0.35 * abs(vy)) else "thrown"


def _speech_checks(spec, a: ClipAnalysis) -> list[Check]:
    _, _, active = a.speech
    heard = float(active.mean()) if len(active) else 0.0
    if spec.dialogue:
        return [Check("dialogue", f"{len(spec.dialogue)} line(s)", f"{heard:.0%} speech", heard > 0.05)]
    if spec.ambience != "crowd":
        return [Check("no dialogue", "none", f"{heard:.0%} speech", heard < 0.05)]
    return []


def prompt_adherence(clip: Clip, target: Target, analysis: ClipAnalysis | None = None) -> float:
    """Fraction of the prompt's checkable facts the clip shows. Ideal 1; fails below 0.7."""
    checks = adherence_checks(clip, target, analysis)
    return sum(c.passed for c in checks) / len(checks) if checks else float("nan")


def colour_accuracy(clip: Clip, target: Target, analysis: ClipAnalysis | None = None) -> float:
    """Fraction of requested object colours seen on moving objects. Ideal 1; fails below 0.6."""
    checks = [c for c in adherence_checks(clip, target, analysis) if c.name.startswith("colour:")]
    return sum(c.passed for c in checks) / len(checks) if checks else float("nan")


def style_match(clip: Clip, target: Target, analysis: ClipAnalysis | None = None) -> float:
    """1 when the style classifier agrees with the requested style, else 0 (NaN if none requested)."""
    spec = target.spec
    if spec is None or not spec.style:
        return float("nan")
    return float(classify_style(clip.frames) == spec.style)


def ambience_match(clip: Clip, target: Target, analysis: ClipAnalysis | None = None) -> float:
    """1 when the ambience classifier agrees with the requested ambience, else 0 (NaN if none requested)."""
    spec = target.spec
    if spec is None or not spec.ambience:
        return float("nan")
    return float(classify_ambience(clip.audio, clip.sample_rate) == spec.ambience)
