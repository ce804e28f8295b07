"""Multi-shot: are the cuts where the script says, and does the world survive them?

- `cut_count_error`: |shots detected − shots asked for| (cuts from wholesale frame changes). Ideal 0;
  fails at ≥ 1.
- `attribute_persistence`: of the colours seen on moving objects and characters after each cut, the
  fraction already seen before it (a red cube must not come back blue). Ideal 1; fails below 0.5
  (world clips measure ≈ 0.7: objects resting during the first shot are not seen moving there).
- `identity_persistence`: for characters seen after a cut, the best colour make-up similarity
  (histogram intersection) to any character seen before it. Ideal 1; fails below 0.5.
"""

from __future__ import annotations

import numpy as np

from phonofilm.eval.analysis import ClipAnalysis, analysis_of
from phonofilm.eval.target import Target
from phonofilm.world.clip import Clip


def shots_requested(target: Target | None) -> int:
    """Shots the prompt asks for (1 without a parsed "Shot N:" script)."""
    spec = None if target is None else target.spec
    return 1 if spec is None else int(spec.n_shots)


def cut_count_error(clip: Clip, target: Target | None = None, analysis: ClipAnalysis | None = None) -> float:
    """|detected shots − requested shots|. Ideal 0; fails at ≥ 1."""
    a = analysis_of(clip, analysis)
    detected = len(a.video.picture.shot_ranges())
    return float(abs(detected - shots_requested(target)))


MIN_TRACK = 5  # frames: shorter tracks are flicker, splashes or holes, not bodies to remember


def _colours_per_shot(a: ClipAnalysis) -> list[set[str]]:
    """Colours each shot shows on bodies: moving objects (majority names, tracks of ≥ 5 frames) and
    characters."""
    shots = len(a.video.picture.shot_ranges())
    seen: list[set[str]] = [set() for _ in range(shots)]
    for tr in a.video.tracks:
        if tr.length >= MIN_TRACK:
            seen[tr.shot].add(tr.colour)
    for ch in a.characters:
        seen[ch.shot].add(ch.colour)
    return seen


def _seen_before(colour: str, a: ClipAnalysis, seen: list[set[str]], shot: int) -> bool:
    """Whether an earlier shot showed something that reads as `colour` (majority or large minority)."""
    return any(colour in s for s in seen[:shot]) or any(tr.shot < shot and tr.looks(colour) for tr in a.video.tracks)


def attribute_persistence(clip: Clip, target: Target | None = None, analysis: ClipAnalysis | None = None) -> float:
    """Fraction of colours seen after cuts that were seen before them. Ideal 1; NaN for one shot."""
    a = analysis_of(clip, analysis)
    seen = _colours_per_shot(a)
    if len(seen) < 2 or not seen[0]:
        return float("nan")
    checks = [_seen_before(c, a, seen, shot) for shot in range(1, len(seen)) for c in seen[shot]]
    return sum(checks) / len(checks) if checks else float("nan")


def identity_persistence(clip: Clip, target: Target | None = None, analysis: ClipAnalysis | None = None) -> float:
    """Mean over characters after cuts of their best colour-make-up match before. Ideal 1; NaN if none."""
    a = analysis_of(clip, analysis)
    chars = a.characters
    scores = []
    for ch in chars:
        earlier = [o for o in chars if o.shot < ch.shot]
        if ch.shot == 0 or not earlier:
            continue
        scores.append(max(float(np.minimum(ch.palette, o.palette).sum()) for o in earlier))
    return float(np.mean(scores)) if scores else float("nan")
