"""Save one module of a checkpoint as a checkpoint of its own (full config and record, that module's
weights only), e.g. a GPU-trained video VAE kept in the repo for the next run:

Usage: python tools/extract_module.py CHECKPOINT OUT MODULE
  e.g. python tools/extract_module.py runs/2x checkpoints/video-vae-2x video_vae

`tools/merge_modules.py BASE NEW video_vae=OUT` puts it back into a whole system.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from phonofilm.models.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from phonofilm.models.system import MODULES


def extract(checkpoint: Path, out: Path, module: str) -> Path:
    ck = load_checkpoint(checkpoint)
    record = {**ck.record, "extracted": {"module": module, "from": str(checkpoint)}}
    return save_checkpoint(out, {module: ck.state_dict(module)}, ck.config, record)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("module", choices=MODULES)
    args = ap.parse_args()
    try:
        out = extract(args.checkpoint, args.out, args.module)
    except (CheckpointError, FileNotFoundError) as e:
        sys.exit(f"error: {e}")  # exit status 1, the reason on stderr
    print(out)


if __name__ == "__main__":
    main()
