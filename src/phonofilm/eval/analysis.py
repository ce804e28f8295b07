"""One clip's perception, computed lazily once and shared by every metric (pixels and sound only).

`ClipAnalysis(clip)` drops the clip's ground truth on construction, so nothing built on it can peek.
Each metric takes `(clip, target, analysis=None)`; the suite passes one analysis per clip so the
detectors run once, a caller scoring a single metric need not care.
"""

from __future__ import annotations

import dataclasses
from functools import cached_property

import numpy as np

from phonofilm.eval.perception.audio import Onsets, detect_onsets, speech_activity, speech_envelope
from phonofilm.eval.perception.characters import CharacterView, find_characters
from phonofilm.eval.perception.motion import Contact, find_contacts
from phonofilm.eval.perception.mouth import mouth_openness
from phonofilm.eval.perception.video import Perception, Track, perceive_video
from phonofilm.world.clip import Clip

CLEAR_ONSET = 0.4


class ClipAnalysis:
    """Lazily computed perception of one clip. Not thread-safe; one per clip."""

    def __init__(self, clip: Clip) -> None:
        self.clip = dataclasses.replace(clip, truth=None) if clip.truth is not None else clip

    @property
    def fps(self) -> float:
        return self.clip.fps

    @cached_property
    def video(self) -> Perception:
        return perceive_video(self.clip.frames, self.clip.fps)

    @cached_property
    def contacts(self) -> list[tuple[Track, Contact]]:
        """Every contact seen on every moving track, with its track."""
        g = self.video.gravity_px
        return [(tr, c) for tr in self.video.tracks for c in find_contacts(tr.frames, tr.xy, g)]

    @cached_property
    def contact_times(self) -> np.ndarray:
        """Seconds of every visual contact, ascending; both bodies of one collision count once."""
        times = np.sort([c.time / self.fps for _, c in self.contacts])
        if len(times) == 0:
            return times
        keep = np.diff(times, prepend=-np.inf) > 0.5 / self.fps
        return times[keep]

    @cached_property
    def characters(self) -> list[CharacterView]:
        """Characters found in the background of every still shot."""
        out: list[CharacterView] = []
        for shot, bg in enumerate(self.video.backgrounds):
            if self.video.picture.static[shot]:
                out += find_characters(bg, shot)
        return out

    @cached_property
    def mouth(self) -> np.ndarray:
        """Mouth openness per frame [T] (summed over characters; NaN in shots with a moving camera)."""
        pic = self.clip.frames[:, self.video.picture.top : self.video.picture.bottom]
        out = np.full(len(pic), np.nan)
        for shot, (a, b) in enumerate(self.video.picture.shot_ranges()):
            if self.video.picture.static[shot] and b - a >= 3:
                out[a:b] = mouth_openness(pic[a:b])
        return out

    @cached_property
    def onset_detection(self) -> Onsets:
        return detect_onsets(self.clip.audio, self.clip.sample_rate)

    @cached_property
    def onsets(self) -> np.ndarray:
        """All audio onset times (s)."""
        return self.onset_detection.times

    @cached_property
    def speech(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(times [F], envelope [F] in 0..1, active [F] bool) at 100 Hz."""
        times, env = speech_envelope(self.clip.audio, self.clip.sample_rate)
        _, active = speech_activity(self.clip.audio, self.clip.sample_rate)
        return times, env, active

    @cached_property
    def impact_onsets(self) -> np.ndarray:
        """Onsets outside speech (speech onsets belong to lip sync, not to contacts)."""
        return self.onsets[self._outside_speech]

    @cached_property
    def clear_impact_onsets(self) -> np.ndarray:
        """Impact onsets at least 40 % as strong as the strongest: the knocks loud enough to come from a
        contact the picture can resolve (gentle rolling taps are heard but not seen)."""
        strength = self.onset_detection.strength[self._outside_speech]
        if len(strength) == 0:
            return self.impact_onsets
        return self.impact_onsets[strength >= CLEAR_ONSET * strength.max()]

    @cached_property
    def _outside_speech(self) -> np.ndarray:
        times, _, active = self.speech
        if len(times) == 0 or len(self.onsets) == 0:
            return np.ones(len(self.onsets), bool)
        return np.interp(self.onsets, times, active.astype(float)) <= 0.5


def analysis_of(clip: Clip, analysis: ClipAnalysis | None) -> ClipAnalysis:
    """The given analysis (checked to belong to `clip`'s pixels) or a fresh one."""
    if analysis is None:
        return ClipAnalysis(clip)
    if analysis.clip.frames is not clip.frames:
        raise ValueError("the analysis passed belongs to another clip")
    return analysis
