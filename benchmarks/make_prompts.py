"""Write the benchmark prompt suites: benchmarks/prompts/<capability>.jsonl (≥ 200 prompts in all).

Seeds: training data uses world seeds < 10^9; benchmark seeds start at 2·10^9 (BENCHMARK_SEED_BASE),
one block of 10^5 per capability, so no benchmark scene is ever a training scene. `--split validation`
writes the same suites from seeds at 1.5·10^9 (VALIDATION_SEED_BASE) into benchmarks/prompts-validation:
settings such as guidance scales are chosen there (`benchmarks/guidance.py`), never on the benchmark.

Each line: {"id", "capability", "prompt", "seed", "seconds", "width", "height", "fps", "sample_rate",
"target": the prompt's parsed PromptTarget, "scene": the world scene that realises it} plus, for cameos,
"reference": {"seed", "scene"} (the recorded subject) and, for image-to-video, "image": "first_frame"
(the given image is the first frame of the scene's world render). The prompt is the world's own caption
of the scene, so rendering "scene" gives the ground-truth clip for "prompt".

Usage: python benchmarks/make_prompts.py [--split benchmark|validation] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from phonofilm.world.caption import caption
from phonofilm.world.physics import simulate
from phonofilm.world.prompt import parse_prompt
from phonofilm.world.sampler import sample_scene
from phonofilm.world.scene import AMBIENCES, STYLES, Scene, to_jsonable

BENCHMARK_SEED_BASE = 2_000_000_000
VALIDATION_SEED_BASE = 1_500_000_000  # for tuning; never trained on, never the benchmark
SPLITS = {"benchmark": (BENCHMARK_SEED_BASE, "prompts"), "validation": (VALIDATION_SEED_BASE, "prompts-validation")}
TRAINING_SEED_LIMIT = 1_000_000_000
LINES = ("Did you hear that?", "Watch this one!", "Hello there, my friend.", "That was loud.",
         "Here it comes!", "Look at it go!", "Not bad at all.", "Try it again.")  # fmt: skip
DEFAULT_RENDER = {"seconds": 4.0, "width": 256, "height": 144, "fps": 16.0, "sample_rate": 16000}
FACE_RENDER = DEFAULT_RENDER  # mouths need ~20 px faces: 256×144 or larger


def _physics(rng: np.random.Generator, i: int) -> dict:
    action = ("dropped", "thrown")[i % 2]
    return {"n_shots": 1, "dialogue": (), "characters": (), "ambience": ("room", "silence")[i % 2],
            "objects": tuple({"action": action} for _ in range(1 + i % 2))}  # fmt: skip


def _effects(rng: np.random.Generator, i: int) -> dict:
    return {"n_shots": 1, "dialogue": (), "n_objects": 1 + i % 3}


def _dialogue(rng: np.random.Generator, i: int) -> dict:
    k = int(rng.integers(64))
    return {"n_shots": 1, "n_objects": 0, "characters": (k,), "dialogue": (LINES[i % len(LINES)],),
            "ambience": ("room", "silence", "birds")[i % 3]}  # fmt: skip


def _ambience(rng: np.random.Generator, i: int) -> dict:
    amb = AMBIENCES[i % len(AMBIENCES)]
    out = {"n_shots": 1, "dialogue": (), "ambience": amb, "n_objects": i % 2}
    if amb in ("wind", "birds"):
        out["setting"] = "outdoor"
    if amb == "room":
        out["setting"] = "indoor"
    return out


def _styles(rng: np.random.Generator, i: int) -> dict:
    return {"n_shots": 1, "style": STYLES[i % len(STYLES)]}


def _multi_shot(rng: np.random.Generator, i: int) -> dict:
    return {"n_shots": 2 + i % 2, "dialogue": ()}


def _i2v(rng: np.random.Generator, i: int) -> dict:
    return {"n_shots": 1}


def _cameo(rng: np.random.Generator, i: int) -> dict:
    return {"n_shots": 1, "n_objects": 0, "characters": (int(rng.integers(64)),),
            "dialogue": (LINES[i % len(LINES)],), "ambience": "room"}  # fmt: skip


CAPABILITIES: dict[str, tuple[int, Callable[[np.random.Generator, int], dict], dict]] = {
    "physics": (30, _physics, DEFAULT_RENDER),
    "effects_sync": (30, _effects, DEFAULT_RENDER),
    "dialogue": (30, _dialogue, FACE_RENDER),
    "ambience": (24, _ambience, DEFAULT_RENDER),
    "styles": (30, _styles, DEFAULT_RENDER),
    "multi_shot": (26, _multi_shot, DEFAULT_RENDER),
    "image_to_video": (20, _i2v, DEFAULT_RENDER),
    "cameo": (20, _cameo, FACE_RENDER),
}


def _described(scene: Scene) -> str:
    """The world's caption of the scene, with what the simulation will make happen."""
    return caption(scene, simulate(scene).events)


def make_line(capability: str, index: int, block: int, base: int = BENCHMARK_SEED_BASE) -> dict:
    """One prompt of `capability` (index within it; block = the capability's seed block; base = the
    split's first seed)."""
    _, fixed_for, render = CAPABILITIES[capability]
    seed = base + block * 100_000 + index
    rng = np.random.default_rng(seed)
    fixed = fixed_for(rng, index)
    scene = sample_scene(seed, duration=render["seconds"], **fixed)
    prompt = _described(scene)
    line = {
        "id": f"{capability}-{index:03d}",
        "capability": capability,
        "prompt": prompt,
        "seed": seed,
        **render,
        "target": to_jsonable(parse_prompt(prompt)),
        "scene": scene.to_dict(),
    }
    if capability == "cameo":
        ref_seed = seed + 50_000  # inside the same block, never used by a prompt
        ref = sample_scene(ref_seed, duration=render["seconds"], **{**fixed, "dialogue": (LINES[(index + 3) % len(LINES)],)})
        line["reference"] = {"seed": ref_seed, "scene": ref.to_dict()}
    if capability == "image_to_video":
        line["image"] = "first_frame"
    return line


def write_suites(out: Path, base: int = BENCHMARK_SEED_BASE) -> dict[str, int]:
    """Write every capability's jsonl under `out`; returns prompts per capability."""
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for block, (capability, (n, _, _)) in enumerate(CAPABILITIES.items()):
        lines = [make_line(capability, i, block, base) for i in range(n)]
        (out / f"{capability}.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
        counts[capability] = n
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=sorted(SPLITS), default="benchmark")
    parser.add_argument("--out", type=Path, default=None, help="default: benchmarks/<the split's folder>")
    args = parser.parse_args()
    base, folder = SPLITS[args.split]
    out = args.out or Path(__file__).parent / folder
    counts = write_suites(out, base)
    print(f"wrote {sum(counts.values())} {args.split} prompts to {out}: {counts}")


if __name__ == "__main__":
    main()
