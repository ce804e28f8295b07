"""Save some modules of a checkpoint as a checkpoint of their own (full config and record, those
modules' weights only), e.g. GPU-trained parts kept in the repo for the next run:

Usage: python tools/extract_module.py CHECKPOINT OUT MODULE [MODULE ...]
  e.g. python tools/extract_module.py runs/2x checkpoints/system-2x video_vae transformer

`tools/merge_modules.py BASE NEW video_vae=OUT transformer=OUT` puts them back into a whole system.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from phonofilm.models.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from phonofilm.models.system import MODULES


def extract(checkpoint: Path, out: Path, modules: tuple[str, ...]) -> Path:
    ck = load_checkpoint(checkpoint)
    record = {**ck.record, "extracted": {"modules": list(modules), "from": str(checkpoint)}}
    return save_checkpoint(out, {m: ck.state_dict(m) for m in modules}, ck.config, record)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("modules", nargs="+", choices=MODULES)
    args = ap.parse_args()
    try:
        out = extract(args.checkpoint, args.out, tuple(args.modules))
    except (CheckpointError, FileNotFoundError) as e:
        sys.exit(f"error: {e}")  # exit status 1, the reason on stderr
    print(out)


if __name__ == "__main__":
    main()
