"""Contact sheet of world clips: one row per style, frames across time (docs/img/world-contact-sheet.png).

Usage: python tools/contact_sheet.py [--seeds 21 7 12] [--out docs/img/world-contact-sheet.png]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from phonofilm.world.make import make_clip_from_seed
from phonofilm.world.scene import STYLES


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, nargs=3, default=[21, 7, 12])
    ap.add_argument("--out", type=Path, default=Path("docs/img/world-contact-sheet.png"))
    ap.add_argument("--size", default="320x180")
    args = ap.parse_args()
    w, h = map(int, args.size.split("x"))
    rows = []
    for style, seed in zip(STYLES, args.seeds, strict=True):
        clip = make_clip_from_seed(seed, 4.0, w, h, 16.0, style=style)
        picks = np.linspace(4, len(clip.frames) - 4, 4).astype(int)
        row = Image.fromarray(np.concatenate([clip.frames[i] for i in picks], axis=1))
        ImageDraw.Draw(row).text((6, 4), f"{style} · seed {seed}", fill=(255, 255, 255))
        rows.append(np.asarray(row))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.concatenate(rows, axis=0)).save(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
