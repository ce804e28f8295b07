"""The suite runner's generating half: a generator answers each benchmark prompt; clips land beside
their eval sidecars exactly as `render_world` writes the world's answers, so both are scored alike.

This is the only part of eval that calls the pipeline; metrics never see the generator.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

from phonofilm.eval.suite import BenchmarkPrompt
from phonofilm.pipeline.request import Cameo, GenerationRequest, Generator, UnsupportedRequest
from phonofilm.world.clip import Clip
from phonofilm.world.scene import Scene


def per_capability(prompts: list[BenchmarkPrompt], n: int) -> list[BenchmarkPrompt]:
    """The first `n` prompts of every capability (n = 0: all), in suite order."""
    if n <= 0:
        return prompts
    seen: dict[str, int] = {}
    out = []
    for p in prompts:
        if seen.get(p.capability, 0) < n:
            out.append(p)
            seen[p.capability] = seen.get(p.capability, 0) + 1
    return out


def _inputs(p: BenchmarkPrompt, out: Path, meta: dict) -> dict:
    """Image (first frame of the world's answer) and cameo reference for prompts that have them."""
    from phonofilm.media import encode_image, write_mp4
    from phonofilm.world.make import make_clip

    extra: dict = {}
    if p.image == "first_frame":
        first = make_clip(Scene.from_dict(p.scene), p.width, p.height, p.fps, p.sample_rate, 2).frames[0]
        (out / f"{p.id}.image.png").write_bytes(encode_image(first))
        meta["image"] = f"{p.id}.image.png"
        extra["image"] = first
    if p.reference is not None:
        ref = make_clip(Scene.from_dict(p.reference["scene"]), p.width, p.height, p.fps, p.sample_rate, 2)
        write_mp4(out / f"{p.id}.ref.mp4", ref.frames, ref.fps, ref.audio, ref.sample_rate)
        meta["reference"] = f"{p.id}.ref.mp4"
        name = ref.truth.scene.characters[0].name if ref.truth.scene.characters else "subject"
        extra["cameos"] = (Cameo(name, ref.frames, ref.audio, ref.fps, ref.sample_rate),)
    return extra


def generate_suite(prompts: Iterable[BenchmarkPrompt], generator: Generator, out: Path, mode: str = "joint",
                   steps: int | None = None, on_clip: Callable[[str], None] | None = None,
                   preset: str = "sora-2", guidance: tuple[float, float] | None = None,
                   noise_correlation: float | None = None,
                   noise_correlation_cutoff: float | None = None,
                   image_guidance: float | None = None) -> dict[str, str]:
    """Generate every prompt into `out` with `preset` (sora-2 | sora-2-pro) and, if given, (video, audio)
    guidance scales, a noise correlation (and its band's cutoff) and an image guidance scale instead of the
    preset's; returns {id: error code} for prompts
    the model refused."""
    from phonofilm.media import write_mp4

    out.mkdir(parents=True, exist_ok=True)
    refused: dict[str, str] = {}
    for p in prompts:
        meta: dict = {"id": p.id, "capability": p.capability, "prompt": p.prompt}
        extra = _inputs(p, out, meta)
        request = GenerationRequest(p.prompt, p.seconds, p.width, p.height, seed=p.seed % 2**31, steps=steps,
                                    preset=preset, guidance=guidance, noise_correlation=noise_correlation,
                                    noise_correlation_cutoff=noise_correlation_cutoff,
                                    image_guidance=image_guidance, **extra)
        try:
            result = generator.generate(request, None, mode=mode) if mode != "joint" else \
                generator.generate(request)
        except UnsupportedRequest as e:
            refused[p.id] = e.code
            continue
        clip = result.clip
        write_mp4(out / f"{p.id}.mp4", clip.frames, clip.fps, clip.audio, clip.sample_rate)
        (out / f"{p.id}.json").write_text(json.dumps({**meta, "generation": result.metadata}))
        if on_clip is not None:
            on_clip(p.id)
    return refused


def build_generator(spec: str) -> Generator:
    """"default", a checkpoint directory, or "untrained:PRESET" (random weights of a size preset)."""
    from phonofilm.pipeline.generate import Pipeline, default_checkpoint, load_generator

    if spec == "default":
        return load_generator(default_checkpoint())
    if spec.startswith("untrained:"):
        import torch

        from phonofilm.models.system import System, system_preset

        torch.manual_seed(0)
        system = System(system_preset(spec.split(":", 1)[1])).eval().requires_grad_(False)
        return Pipeline(system, {"train_config": "untrained"}, spec)
    return load_generator(spec)


def build_reconstructor(spec: str, parts: tuple[str, ...] = ("video", "audio")
                        ) -> Callable[[Clip, int, int], tuple[Clip, dict]]:
    """A model's autoencoders (those in `parts`) and delivery as a clip → clip function for
    `render_world(..., through=)`: the ceiling they put on every score, with no diffusion in the way."""
    from functools import partial

    from phonofilm.pipeline.generate import Pipeline

    pipeline = build_generator(spec)
    if not isinstance(pipeline, Pipeline):
        raise ValueError(f"--through {spec!r} is not a phonofilm checkpoint with autoencoders")
    return partial(pipeline.reconstruct, parts=parts)
