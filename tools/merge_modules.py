"""Build a checkpoint from BASE with some modules taken from other checkpoints of the same architecture.

Usage: python tools/merge_modules.py BASE OUT MODULE=CHECKPOINT [MODULE=CHECKPOINT ...]
  e.g. python tools/merge_modules.py runs/video-decoder-tune runs/merged vocoder=runs/vocoder-tune

Decoder fine-tunes (`python -m phonofilm.train.decoders`) leave the latent space alone, so two of them
run side by side from one checkpoint combine safely; the module's config must match in both, and the
donor's record of its own tuning (`decoders`) and history come along in the merged record.

One exception: a video VAE of another temporal factor (e.g. `video_vae=checkpoints/system-2x`) may
replace BASE's. The system's video time base follows it, and since BASE's transformer learned other
latents the record says so (`needs_training`) — unless a transformer of that time base is merged after
it (`transformer=checkpoints/system-2x`). A checkpoint that needs training is a start for `phonofilm
train --init` (docs/training.md), not a model to generate with.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from phonofilm.models.checkpoint import load_checkpoint
from phonofilm.models.system import (
    MODULES,
    System,
    SystemConfig,
    load_modules,
    save_system,
    system_from_checkpoint,
)
from phonofilm.train.decoders import MODULE_OF


def _with_video_vae(system: System, donor: System) -> System:
    """`system` with `donor`'s video VAE config (another temporal factor, its own latent statistics)."""
    config = system.config.with_temporal_factor(donor.config.video_vae.temporal_factor)
    config = dataclasses.replace(config, video_vae=donor.config.video_vae)
    out = System(config)
    for name in MODULES:
        if name != "video_vae":
            getattr(out, name).load_state_dict(getattr(system, name).state_dict())
    return out


TRAINING_KEYS = ("train_config", "recipe", "steps", "few_step", "stage", "data", "hardware", "wall_seconds",
                 "torch", "eval", "history")


def _donor(path: Path, module: str) -> tuple[System, dict]:
    """The networks of checkpoint `path` with `module` loaded (a donor may hold that module alone)."""
    ck = load_checkpoint(path)
    donor = System(SystemConfig.from_dict(ck.config))
    load_modules(donor, ck, path, absent_ok=tuple(m for m in MODULES if m != module))
    return donor, ck.record


def merge(base: Path, out: Path, donors: dict[str, Path]) -> Path:
    ck = load_checkpoint(base)
    system, record = system_from_checkpoint(ck, base), ck.record
    merged = {**record, "decoders": dict(record.get("decoders", {})), "merged_from": {"base": str(base)}}
    for module, path in donors.items():
        donor, donor_record = _donor(path, module)
        theirs, ours = donor.config.to_dict()[module], system.config.to_dict()[module]
        if module == "video_vae" and theirs["temporal_factor"] != ours["temporal_factor"]:
            if donor.config.video_vae.architecture() != system.config.video_vae.architecture():
                raise ValueError(f"video_vae of {path} differs from {base}'s in more than its temporal factor")
            system = _with_video_vae(system, donor)
            merged["needs_training"] = (f"transformer: trained on {ours['temporal_factor']}x video latents, now "
                                        f"{theirs['temporal_factor']}x; continue it with phonofilm train --init")
        elif theirs != ours:
            raise ValueError(f"{module} of {path} has another config than {base}'s; only like modules merge")
        elif module == "transformer":  # its training record is the donor's (steps, few-step, history)
            merged.pop("needs_training", None)  # trained on this video VAE's time base
            merged.update({k: donor_record[k] for k in TRAINING_KEYS if k in donor_record})
        getattr(system, module).load_state_dict(getattr(donor, module).state_dict())
        merged["merged_from"][module] = str(path)
        tuned = donor_record.get("decoders", {})
        merged["decoders"].update({part: run for part, run in tuned.items() if MODULE_OF.get(part) == module})
    return save_system(out, system, merged, dtype=ck.float_dtype)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("base", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("donors", nargs="+", help=f"MODULE=CHECKPOINT, MODULE one of {MODULES}")
    args = ap.parse_args()
    donors = {}
    for item in args.donors:
        module, _, path = item.partition("=")
        if module not in MODULES or not path:
            ap.error(f"{item!r}: expected MODULE=CHECKPOINT with MODULE one of {MODULES}")
        donors[module] = Path(path)
    try:
        print(merge(args.base, args.out, donors))
    except (ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
