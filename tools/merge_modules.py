"""Build a checkpoint from BASE with some modules taken from other checkpoints of the same architecture.

Usage: python tools/merge_modules.py BASE OUT MODULE=CHECKPOINT [MODULE=CHECKPOINT ...]
  e.g. python tools/merge_modules.py runs/video-decoder-tune runs/merged vocoder=runs/vocoder-tune

Decoder fine-tunes (`python -m phonofilm.train.decoders`) leave the latent space alone, so two of them
run side by side from one checkpoint combine safely; the module's config must match in both, and the
donor's record of its own tuning (`decoders`) and history come along in the merged record.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from phonofilm.models.checkpoint import load_checkpoint
from phonofilm.models.system import MODULES, load_system, save_system, system_from_checkpoint
from phonofilm.train.decoders import MODULE_OF


def merge(base: Path, out: Path, donors: dict[str, Path]) -> Path:
    ck = load_checkpoint(base)
    system, record = system_from_checkpoint(ck, base), ck.record
    merged = {**record, "decoders": dict(record.get("decoders", {})), "merged_from": {"base": str(base)}}
    for module, path in donors.items():
        donor, donor_record = load_system(path)
        if donor.config.to_dict()[module] != system.config.to_dict()[module]:
            raise ValueError(f"{module} of {path} has another config than {base}'s; only like modules merge")
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
