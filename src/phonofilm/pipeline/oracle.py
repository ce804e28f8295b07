"""`WorldOracle`: the ground-truth reference generator — renders the world scene a prompt describes.

It parses the prompt (`phonofilm.world.prompt.parse_prompt`), fixes every attribute it names when
sampling a scene from the request's seed, and renders that scene at the requested size. It is what a
perfect model would produce, so it serves as the reference for evaluation and as a real generator for
the server. Remix re-renders under the new prompt with the source's seed; extension renders a
continuation and appends it. Images (image-to-video) and cameos are refused with `UnsupportedRequest`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from phonofilm.pipeline.request import (
    GenerationRequest,
    GenerationResult,
    ProgressFn,
    UnsupportedRequest,
)
from phonofilm.world.clip import Clip
from phonofilm.world.identities import identity_index
from phonofilm.world.make import make_clip
from phonofilm.world.prompt import PromptTarget, parse_prompt
from phonofilm.world.sampler import sample_scene
from phonofilm.world.scene import Shot
from phonofilm.world.spec import ACTIONS_FOR_SHAPE, MAX_CHARACTERS, MAX_OBJECTS

MIN_RENDER_SIDE = 16  # the renderer's smallest side


@dataclass(frozen=True)
class WorldOracle:
    """Render the scene a prompt describes. `max_side` (tests) renders smaller and upscales by whole pixels."""

    fps: float = 24.0
    sample_rate: int = 48_000
    channels: int = 2
    max_side: int | None = None

    def generate(self, request: GenerationRequest, progress: ProgressFn | None = None) -> GenerationResult:
        """Render `request` (plain, remix or extension) into a clip at the requested size."""
        if request.image is not None:
            raise UnsupportedRequest("image_unsupported", "the world oracle cannot start from an image")
        if request.cameos:
            raise UnsupportedRequest("cameo_unsupported", "the world oracle cannot insert recorded cameos")
        report = progress or (lambda fraction, stage: None)
        seed = 0 if request.seed is None else int(request.seed)
        report(0.0, "scene")
        if request.extend is not None:
            clip = self._extend(request, seed)
        else:
            clip = self._render(request.prompt, seed, request.seconds, request.width, request.height, self.fps)
        report(1.0, "done")
        metadata = {"model": "world-oracle", "seed": str(seed), "preset": request.preset}
        return GenerationResult(clip=clip, metadata=metadata)

    def _render(self, prompt: str, seed: int, seconds: float, width: int, height: int, fps: float) -> Clip:
        scene = _scene_for(parse_prompt(prompt), seed, float(seconds))
        factor = _upscale_factor(width, height, self.max_side)
        clip = make_clip(scene, width // factor, height // factor, fps, self.sample_rate, self.channels)
        frames = clip.frames
        if factor > 1:  # [T, h, w, 3] -> [T, h*f, w*f, 3]
            frames = np.repeat(np.repeat(frames, factor, axis=1), factor, axis=2)
        return dataclasses.replace(clip, frames=frames, caption=prompt)

    def _extend(self, request: GenerationRequest, seed: int) -> Clip:
        """The source followed by a newly rendered continuation at the source's size, rate and channels."""
        source = request.extend
        assert source is not None
        width, height = source.size
        more = self._render(request.prompt, seed + 1, request.seconds, width, height, source.fps)
        audio = _match_audio(more.audio, more.sample_rate, source.sample_rate, source.audio.shape[0])
        return Clip(
            frames=np.concatenate([source.frames, more.frames]),
            audio=np.concatenate([_pad_to(source.audio, source), audio], axis=1),
            fps=source.fps,
            sample_rate=source.sample_rate,
            caption=request.prompt,
        )


def scene_attributes(target: PromptTarget, seconds: float) -> dict[str, object]:
    """Keyword arguments of `sample_scene` that fix what the parsed prompt asks for."""
    fixed: dict[str, object] = {
        k: v
        for k, v in (("style", target.style), ("ambience", target.ambience),
                     ("setting", target.setting), ("floor", target.floor))
        if v is not None
    }
    if target.objects:
        fixed["objects"] = tuple(
            {"shape": o.shape, "color": o.color, "material": o.material,
             "action": o.action if o.action in ACTIONS_FOR_SHAPE[o.shape] else None}
            for o in target.objects[:MAX_OBJECTS]
        )
    if target.hoop:
        fixed["with_hoop"] = True
    if target.tank:
        fixed["with_tank"] = True
    names = [n for n in target.characters if _known(n)][:MAX_CHARACTERS]
    if names:
        fixed["characters"] = tuple(identity_index(n) for n in names)
    if target.dialogue:
        known = [n.lower() for n in names]
        fixed["dialogue"] = tuple(
            {"text": line.text.replace('"', "'"),
             "speaker": known.index(line.speaker.lower()) if line.speaker and line.speaker.lower() in known else None}
            for line in target.dialogue
        )
    if target.shots and len(target.shots) <= max(1, int(seconds)):
        step = seconds / len(target.shots)
        fixed["shots"] = tuple(
            Shot(start=round(i * step, 3), framing=s.framing or "wide") for i, s in enumerate(target.shots)
        )
    return fixed


# Dropped in this order when the prompt asks for more than one scene can hold (too many characters...).
_RELAXATION = (("shots",), ("dialogue", "characters"), ("with_hoop", "with_tank"), ("objects",),
               ("setting", "floor", "ambience"))


def _scene_for(target: PromptTarget, seed: int, seconds: float):
    """The scene for `target`, relaxing requirements the world cannot meet together rather than failing."""
    fixed = scene_attributes(target, seconds)
    for drop in ((), *_RELAXATION):
        fixed = {k: v for k, v in fixed.items() if k not in drop}
        try:
            return sample_scene(seed, seconds, **fixed)
        except ValueError:
            continue
    return sample_scene(seed, seconds)


def _known(name: str) -> bool:
    try:
        identity_index(name)
    except ValueError:
        return False
    return True


def _upscale_factor(width: int, height: int, max_side: int | None) -> int:
    """The smallest whole factor dividing both sides that brings the longer one within `max_side`."""
    if max_side is None:
        return 1
    for factor in range(1, max(width, height) + 1):
        small_enough = max(width, height) <= max_side * factor
        if small_enough and width % factor == 0 and height % factor == 0:
            return factor if min(width, height) // factor >= MIN_RENDER_SIDE else 1
    return 1


def _pad_to(audio: np.ndarray, clip: Clip) -> np.ndarray:
    """The clip's audio cut or zero-padded to exactly its video duration, so the continuation lines up."""
    samples = round(clip.duration * clip.sample_rate)
    if audio.shape[1] >= samples:
        return audio[:, :samples]
    return np.pad(audio, ((0, 0), (0, samples - audio.shape[1])))


def _match_audio(audio: np.ndarray, rate: int, target_rate: int, channels: int) -> np.ndarray:
    """float32 [C, S] at `rate` -> [channels, S'] at `target_rate` (linear resampling, mono mix or copy)."""
    if rate != target_rate:
        n = round(audio.shape[1] * target_rate / rate)
        positions = np.arange(n) * rate / target_rate
        audio = np.stack([np.interp(positions, np.arange(audio.shape[1]), ch) for ch in audio])
    if audio.shape[0] != channels:
        mono = audio.mean(axis=0, keepdims=True)
        audio = np.repeat(mono, channels, axis=0)
    return audio.astype(np.float32)
