"""Storyboards: a video as timed shots, from a "Shot 1: … Shot 2 (2.0 s): …" prompt or from JSON.

A `Storyboard` says what each shot shows and when it starts; the pipeline turns it into the two things
the model was trained on: per-latent-frame shot indices + cut flags (`conditioning`), and the world's
script text (`script`: "Shot 1 (0.0 s): … Shot 2 (2.5 s): …") for the text encoder. A timed head
"(2.0 s)" is the shot's start time, as the world's captions write it (`world/caption.py`). One scene
goes on across cuts: the sound is one continuous stream.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch

    from phonofilm.diffusion.patchify import TimeLayout
    from phonofilm.world.clip import Clip

MAX_SHOTS = 16  # the transformer's shot embedding table (TransformerConfig.max_shots)
MIN_SHOT_SECONDS = 0.25  # one latent frame: a shorter shot would have no latent frame of its own
_HEAD = re.compile(r"\bshot\s+(\d+)\s*(?:\(\s*(?:at\s*)?([0-9]*\.?[0-9]+)\s*s?\s*\))?\s*:", re.IGNORECASE)


class StoryboardError(ValueError):
    """A storyboard that cannot be made; the message says which shot, what was wrong and what is allowed."""


@dataclass(frozen=True)
class ShotPlan:
    """One shot: what it shows, when it starts and how long it lasts (seconds)."""

    prompt: str
    start: float
    seconds: float

    @property
    def end(self) -> float:
        return self.start + self.seconds


@dataclass(frozen=True)
class Storyboard:
    """Timed shots covering [0, seconds) back to back; `preamble` describes the scene for every shot."""

    shots: tuple[ShotPlan, ...]
    preamble: str = ""

    @property
    def seconds(self) -> float:
        return self.shots[-1].end if self.shots else 0.0

    def script(self) -> str:
        """The world-style prompt the text encoder sees: preamble, then timed "Shot N (t s): …" heads."""
        if len(self.shots) == 1:
            return " ".join(p for p in (self.preamble, self.shots[0].prompt) if p)
        heads = [f"Shot {i + 1} ({_time(s.start)} s): {_sentence(s.prompt)}" for i, s in enumerate(self.shots)]
        return " ".join([self.preamble, *heads] if self.preamble else heads)

    def frame_shots(self, frames: int, fps: float, start: float = 0.0, frames_per_latent: int = 1) -> np.ndarray:
        """Shot index of every frame [frames]; frame i shows time start + i / fps (before 0: shot 0).

        Each cut lands on the frame nearest its time among frames 1 + s·m of the window (s =
        `frames_per_latent`): the first frames of latent frames, the only places a causal video VAE
        can cut cleanly (a cut inside a latent frame decodes as a blend).
        """
        s = frames_per_latent
        at = (np.array([shot.start for shot in self.shots[1:]]) - start) * fps  # cuts, in window frames
        at = 1 + s * np.floor((at - 1) / s + 0.5 + 1e-9)
        return np.searchsorted(at, np.arange(frames), side="right").astype(np.int64)

    def conditioning(self, latent_frames: int, fps: float, layout: TimeLayout, device: torch.device | str = "cpu",
                     max_shots: int = MAX_SHOTS, start: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
        """(shot_ids [1, F] long, cuts [1, F] bool) for F latent frames from time `start`, as training
        makes them: ids count from 0 at the window's first frame, cuts where the shot changes (on the
        latent frame whose first frame is nearest the scripted time)."""
        import torch

        from phonofilm.train.steps import shot_conditioning

        s = layout.frames_per_latent
        shots = self.frame_shots(layout.frames_for(latent_frames), fps, start, s)
        ids, cuts = shot_conditioning(torch.from_numpy(shots - shots[0])[None].to(device), latent_frames, layout)
        return ids.clamp(max=max_shots - 1), cuts

    def latent_cuts(self, latent_frames: int, fps: float, layout: TimeLayout, start: float = 0.0) -> list[int]:
        """Latent frames where a new shot starts (what `conditioning` flags): where decoding cuts its
        causal context, so the picture cuts on the frame the model was told to."""
        _, cuts = self.conditioning(latent_frames, fps, layout, start=start)
        return cuts[0].nonzero().flatten().tolist()

    def window(self, start: float, seconds: float) -> Storyboard:
        """The shots seen in [start, start + seconds), re-timed to start at 0 (one chunk of a long video)."""
        end = start + seconds
        inside = [s for s in self.shots if s.end > start + 1e-9 and s.start < end - 1e-9]
        shots = tuple(ShotPlan(s.prompt, max(s.start, start) - start, min(s.end, end) - max(s.start, start))
                      for s in inside)
        return Storyboard(shots, self.preamble)


def _time(t: float) -> str:
    """2.0 → "2.0" (the world's form); 2.25 → "2.25": exact enough to read back to the same frames."""
    return f"{t:.1f}" if abs(t * 10 - round(t * 10)) < 1e-6 else f"{t:.3f}".rstrip("0")


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?\"”" else text + "."


def storyboard_from_prompt(text: str, seconds: float, max_shots: int = MAX_SHOTS) -> Storyboard:
    """Shots from "Shot 1: … Shot 2 (2.0 s): …" heads (start times; untimed shots share the gaps evenly).

    Text before the first head is the preamble. A prompt without heads is one shot of `seconds`.
    """
    heads = list(_HEAD.finditer(text))
    if not heads:
        return Storyboard((ShotPlan(text.strip(), 0.0, seconds),))
    numbers = [int(h.group(1)) for h in heads]
    if numbers != list(range(1, len(heads) + 1)):
        raise StoryboardError(f"shot heads must be numbered Shot 1, Shot 2, … in order; found "
                              f"{', '.join(f'Shot {n}' for n in numbers)}")
    _check_count(len(heads), max_shots)
    ends = [h.start() for h in heads[1:]] + [len(text)]
    prompts = [text[h.end():e].strip() for h, e in zip(heads, ends, strict=True)]
    for i, p in enumerate(prompts):
        if not p:
            raise StoryboardError(f"Shot {i + 1} has no text: describe what the shot shows after 'Shot {i + 1}:'")
    given = [float(h.group(2)) if h.group(2) else None for h in heads]
    if given[0] not in (None, 0.0):
        raise StoryboardError(f"Shot 1 must start at 0 s, got ({given[0]:g} s); a timed head gives the "
                              "shot's start time")
    starts = _fill_starts([0.0, *given[1:]], seconds)
    durations = [b - a for a, b in zip(starts, [*starts[1:], seconds], strict=True)]
    shots = tuple(ShotPlan(p, a, d) for p, a, d in zip(prompts, starts, durations, strict=True))
    _check_durations(shots, seconds)
    return Storyboard(shots, text[: heads[0].start()].strip())


def clip_storyboard(clip: Clip, max_shots: int = MAX_SHOTS) -> Storyboard:
    """A clip's shots: from its ground truth when it has one (the world knows where it cut), else
    from its caption, as a generation from that caption would time them."""
    if clip.truth is None:
        return storyboard_from_prompt(clip.caption or "", clip.duration, max_shots)
    change = np.flatnonzero(np.diff(clip.truth.shot)) + 1
    starts = [0.0, *(float(i) / clip.fps for i in change), clip.duration]
    return Storyboard(tuple(ShotPlan("", a, b - a) for a, b in itertools.pairwise(starts)))


def _fill_starts(starts: list[float | None], seconds: float) -> list[float]:
    """Known start times kept; runs of unknown ones spread evenly up to the next known start (or the end)."""
    out = list(starts)
    anchors = [i for i, s in enumerate(out) if s is not None] + [len(out)]
    for a, b in itertools.pairwise(anchors):
        t0, t1 = out[a], (out[b] if b < len(out) else seconds)
        for j in range(a + 1, b):
            out[j] = t0 + (t1 - t0) * (j - a) / (b - a)  # type: ignore[operator]
    return [float(s) for s in out]  # type: ignore[arg-type]


def storyboard_from_json(data: Any, seconds: float | None = None, max_shots: int = MAX_SHOTS,
                         fps: float = 16.0) -> Storyboard:
    """`{"prompt": "scene…", "shots": [{"prompt": "…", "seconds": 2.5}, …]}` (also as JSON text).

    `seconds` per shot may be left out: those shots share what the others leave of the total evenly.
    When `seconds` (the request's duration) is given, the shots must add up to it (within half a frame).
    """
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as err:
            raise StoryboardError(f"storyboard is not valid JSON: {err}") from None
    if not isinstance(data, Mapping):
        raise StoryboardError(f"storyboard must be an object with a 'shots' list, got {type(data).__name__}")
    unknown = set(data) - {"shots", "prompt"}
    if unknown:
        raise StoryboardError(f"storyboard has unknown fields {sorted(unknown)}; allowed: 'shots', 'prompt'")
    items = data.get("shots")
    if not isinstance(items, list) or not items:
        raise StoryboardError("storyboard.shots must be a non-empty list of {\"prompt\": …, \"seconds\": …}")
    _check_count(len(items), max_shots)
    prompts, lengths = [], []
    for i, item in enumerate(items):
        where = f"storyboard.shots[{i}]"
        if not isinstance(item, Mapping) or set(item) - {"prompt", "seconds"}:
            raise StoryboardError(f"{where} must be an object with 'prompt' and optional 'seconds', got {item!r}")
        prompt = item.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise StoryboardError(f"{where}.prompt is empty: describe what the shot shows")
        prompts.append(_sentence(prompt))
        lengths.append(_seconds_value(item.get("seconds"), where))
    preamble = data.get("prompt") or ""
    if not isinstance(preamble, str):
        raise StoryboardError(f"storyboard.prompt must be text, got {type(preamble).__name__}")
    given = sum(s for s in lengths if s is not None)
    missing = [i for i, s in enumerate(lengths) if s is None]
    if seconds is None:
        if missing:
            raise StoryboardError(f"storyboard.shots[{missing[0]}].seconds is missing and no total duration "
                                  "was given: give every shot's seconds, or the request's seconds")
        seconds = given
    elif missing:
        share = (seconds - given) / len(missing)
        if share < MIN_SHOT_SECONDS:
            raise StoryboardError(f"the timed shots take {given:g} s of {seconds:g} s, leaving too little for "
                                  f"{len(missing)} untimed shot(s) (each needs ≥ {MIN_SHOT_SECONDS} s)")
        lengths = [share if s is None else s for s in lengths]
    elif abs(given - seconds) > 0.5 / fps:
        raise StoryboardError(f"storyboard shots add up to {given:g} s but the video is {seconds:g} s long; "
                              f"make the shots' seconds sum to {seconds:g}")
    starts = np.concatenate([[0.0], np.cumsum(lengths)[:-1]])
    shots = tuple(ShotPlan(p, float(a), float(d)) for p, a, d in zip(prompts, starts, lengths, strict=True))
    _check_durations(shots, float(seconds))
    return Storyboard(shots, preamble.strip())


def _seconds_value(value: Any, where: str) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)  # multipart forms send numbers as text
    except (TypeError, ValueError):
        raise StoryboardError(f"{where}.seconds must be a number of seconds, got {value!r}") from None
    if not math.isfinite(number) or number < MIN_SHOT_SECONDS:
        raise StoryboardError(f"{where}.seconds must be at least {MIN_SHOT_SECONDS} s, got {value!r}")
    return number


def _check_count(n: int, max_shots: int) -> None:
    if n > max_shots:
        raise StoryboardError(f"storyboard has {n} shots; this model handles at most {max_shots}")


def _check_durations(shots: tuple[ShotPlan, ...], seconds: float) -> None:
    for i, s in enumerate(shots):
        if s.seconds < MIN_SHOT_SECONDS - 1e-9:
            raise StoryboardError(f"Shot {i + 1} lasts {s.seconds:.2f} s (starts at {s.start:g} s); each shot "
                                  f"needs at least {MIN_SHOT_SECONDS} s and must start before the video ends "
                                  f"({seconds:g} s)")


def resolve_storyboard(prompt: str, seconds: float, storyboard: Storyboard | None,
                       max_shots: int = MAX_SHOTS, fps: float = 16.0) -> Storyboard:
    """The request's storyboard: the one given (checked against `seconds`), else the prompt's shots."""
    if storyboard is None:
        return storyboard_from_prompt(prompt, seconds, max_shots)
    _check_count(len(storyboard.shots), max_shots)
    if abs(storyboard.seconds - seconds) > 0.5 / fps:
        raise StoryboardError(f"storyboard lasts {storyboard.seconds:g} s but the request asks for "
                              f"{seconds:g} s; make them equal")
    _check_durations(storyboard.shots, seconds)
    return storyboard
