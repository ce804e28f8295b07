"""Whether weighting the flow-matching loss toward what changes teaches the transformer what moves.

Usage:
    python benchmarks/flow_weighting.py train --init CK --out-dir runs/flowweight/w3 --weight 3 [--steps 120]
        [--seed 0]
    python benchmarks/flow_weighting.py probe --checkpoint CK [CK ...] [--batches 6] [--out FILE]

The generators do not draw the small moving objects of the world (a ball is a few latent positions), so
the benchmark cannot see the impacts whose sound they should time. A per-position MSE over latents is
dominated by still backgrounds and steady sound beds; `TrainConfig.flow_change_weight` (W) multiplies each
position's error by 1 + W · (how much its clean latent changes between neighbouring latent frames), scaled
to mean 1 (`diffusion.flow.change_weights`).

`train` continues a checkpoint's transformer with `small-cpu-continue` (1 thread, batch 4) for a fixed
number of steps with weight W, so two runs from one start differ only in the weight.

`probe` measures every checkpoint on the same held-out world batches (seeds ≥ 2·10⁹, 2 s, never trained
on), noise and timesteps (0.25, 0.5, 0.75, 0.9), unweighted: the velocity MSE on the positions whose clean
latent changes most (top 10 % of each clip: what moves, onsets) and on the rest (still), for video and
audio. A weight that helps lowers the first without raising the second much.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

TIMESTEPS = (0.25, 0.5, 0.75, 0.9)
TOP = 0.10  # share of each clip's positions counted as changing


def train(args: argparse.Namespace) -> dict:
    import torch

    from phonofilm.models.checkpoint import load_checkpoint
    from phonofilm.train.config import train_preset
    from phonofilm.train.trainer import train as run_training

    torch.set_num_threads(args.threads)
    try:
        done = load_checkpoint(args.init).record.get("steps", {}).get("transformer", 0)  # a continued run counts on
    except ValueError as e:  # CheckpointError: missing or not a phonofilm checkpoint
        raise SystemExit(f"error: --init {args.init}: {e}") from None
    base = train_preset("small-cpu-continue")
    cfg = dataclasses.replace(base, name=f"small-cpu-continue-w{args.weight:g}", flow_change_weight=args.weight,
                              seed=args.seed, data=dataclasses.replace(base.data, seed_start=args.seed * 1_000_000),
                              transformer=dataclasses.replace(base.transformer, steps=done + args.steps, minutes=None))
    start = time.time()
    ck = run_training(cfg, Path(args.out_dir), "cpu", init=Path(args.init))
    return {"checkpoint": str(ck), "weight": args.weight, "steps": args.steps, "seed": args.seed,
            "wall_s": round(time.time() - start, 1)}


def _split_errors(sq, z) -> tuple[float, float]:
    """Mean of per-position squared error [B, 1, T, ...] on each clip's most-changing positions and the rest."""
    import torch

    from phonofilm.diffusion.flow import change_weights

    change = change_weights(z, 1.0).flatten(1)  # rank by change (monotone in |Δz|)
    err = sq.flatten(1)
    k = max(1, int(TOP * change.shape[1]))
    top = torch.zeros_like(change, dtype=torch.bool).scatter_(1, change.topk(k, dim=1).indices, True)
    return float(err[top].mean()), float(err[~top].mean())


def probe_one(checkpoint: Path, batches: list[dict]) -> dict:
    import torch

    from phonofilm.diffusion.flow import noise_latents, velocity_target
    from phonofilm.models.system import load_system
    from phonofilm.models.text import TextEncoder
    from phonofilm.models.transformer import ModalityInput
    from phonofilm.train.steps import encode_latents, shot_conditioning

    system, _ = load_system(checkpoint)
    text_encoder = TextEncoder(device="cpu", max_tokens=system.config.text_tokens)
    cpu = torch.device("cpu")
    sums = {"video_changing": [], "video_still": [], "audio_changing": [], "audio_still": []}
    with torch.no_grad():
        for i, batch in enumerate(batches):
            zv, za = encode_latents(system, batch, cpu)
            text = text_encoder.encode(batch["captions"])
            shot_ids, cuts = shot_conditioning(batch["shots"], zv.shape[2], system.config.layout)
            gen = torch.Generator().manual_seed(1000 + i)
            for tv in TIMESTEPS:
                t = torch.full((zv.shape[0],), tv)
                nv, na = torch.randn(zv.shape, generator=gen), torch.randn(za.shape, generator=gen)
                v_pred, a_pred = system.transformer(ModalityInput(noise_latents(zv, nv, t), None, shot_ids, cuts),
                                                    ModalityInput(noise_latents(za, na, t), None), text, t)
                for name, pred, z, noise in (("video", v_pred, zv, nv), ("audio", a_pred, za, na)):
                    sq = ((pred.float() - velocity_target(z, noise)) ** 2).mean(1, keepdim=True)
                    changing, still = _split_errors(sq, z)
                    sums[f"{name}_changing"].append(changing)
                    sums[f"{name}_still"].append(still)
    return {k: round(sum(v) / len(v), 4) for k, v in sums.items()}


def probe(args: argparse.Namespace) -> dict:
    from phonofilm.train.batches import WorldBatches
    from phonofilm.train.config import train_preset
    from phonofilm.train.held_out import HELD_OUT_SEED

    missing = [c for c in args.checkpoint if not (Path(c) / "checkpoint.json").is_file()]
    if missing:
        raise SystemExit(f"error: not a checkpoint folder (no checkpoint.json): {', '.join(missing)}")
    data = dataclasses.replace(train_preset("small-cpu-continue").data, seed_start=HELD_OUT_SEED)
    source = WorldBatches(data, batch_size=4, frames=33, seed=HELD_OUT_SEED)
    batches = [source.batch(i) for i in range(args.batches)]
    return {"benchmark": "flow_weighting", "batches": args.batches, "clips": 4 * args.batches, "seconds": 2.0,
            "timesteps": list(TIMESTEPS), "top_share": TOP,
            "results": {c: probe_one(Path(c), batches) for c in args.checkpoint}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train")
    t.add_argument("--init", required=True)
    t.add_argument("--out-dir", required=True)
    t.add_argument("--weight", type=float, required=True)
    t.add_argument("--steps", type=int, default=120)
    t.add_argument("--threads", type=int, default=1)
    t.add_argument("--seed", type=int, default=0, help="another seed: other clips, noise and timesteps")
    p = sub.add_parser("probe")
    p.add_argument("--checkpoint", nargs="+", required=True)
    p.add_argument("--batches", type=int, default=6)
    p.add_argument("--out", default="benchmarks/results/flow_weighting.json")
    args = parser.parse_args(argv)
    if args.command == "train":
        if args.weight < 0 or args.steps < 1:
            raise SystemExit(f"error: --weight must be ≥ 0 and --steps ≥ 1, got {args.weight} and {args.steps}")
        result = train(args)
        out = Path(args.out_dir) / "result.json"
    else:
        if args.batches < 1:
            raise SystemExit(f"error: --batches must be ≥ 1, got {args.batches}")
        result = probe(args)
        out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
