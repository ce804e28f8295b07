"""Pack a checkpoint small enough to travel to a lent GPU machine as `--init` (64 MiB working-tree limit).

Modules named in `--int8` travel as int8 with one fp16 scale per output row (absmax / 127); every other
weight travels exactly as stored. Only use int8 for modules the run trains again or whose copy coming
back is replaced by the exact one (`tools/merge_modules.py`): the round trip is close, not exact (the
largest relative error per row is printed). The record says what was quantised.

Usage: python tools/devcarry_init.py --from src/phonofilm/assets/default --out .devcarry/init \\
           --int8 transformer,video_vae,vocoder
       python tools/devcarry_init.py --unpack .devcarry/init   (on the GPU machine: → .devcarry/init/checkpoint)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

PACKED = "packed.safetensors"


def pack(source: Path, out: Path, int8: tuple[str, ...]) -> None:
    import torch
    from safetensors.torch import save_file

    from phonofilm.models.checkpoint import load_checkpoint

    ck = load_checkpoint(source)
    packed, worst = {}, 0.0
    for key, w in ck.tensors.items():
        if key.split(".", 1)[0] in int8 and w.is_floating_point() and w.ndim >= 2:
            rows = w.float().flatten(1)
            scale = (rows.abs().amax(1, keepdim=True) / 127).clamp_min(1e-12)
            q = (rows / scale).round().clamp(-127, 127).to(torch.int8)
            err = ((q.float() * scale - rows).abs().amax(1) / (rows.abs().amax(1) + 1e-12)).max()
            worst = max(worst, float(err))
            packed[key + "@q"], packed[key + "@scale"] = q.reshape(w.shape).contiguous(), scale.half().contiguous()
        else:
            packed[key] = w.contiguous()
    record = {**ck.record, "carried_int8": list(int8)}
    out.mkdir(parents=True, exist_ok=True)
    save_file(packed, str(out / PACKED), metadata={"config": json.dumps(ck.config), "record": json.dumps(record)})
    size = (out / PACKED).stat().st_size / 2**20
    print(f"packed {source} → {out / PACKED} ({size:.1f} MiB; int8: {', '.join(int8) or 'none'}, "
          f"largest error {worst:.2%} of a row's largest weight)")


def unpack(folder: Path) -> Path:
    from safetensors import safe_open
    from safetensors.torch import load_file

    from phonofilm.models.checkpoint import save_checkpoint

    packed = load_file(str(folder / PACKED))
    with safe_open(str(folder / PACKED), "pt") as f:
        meta = f.metadata()
    tensors = {}
    for key, value in packed.items():
        if key.endswith("@scale"):
            continue
        if key.endswith("@q"):
            name = key[:-2]
            scale = packed[name + "@scale"].float().reshape(-1, *[1] * (value.ndim - 1))  # one per row
            tensors[name] = (value.float() * scale).half()
        else:
            tensors[key] = value
    modules: dict[str, dict] = {}
    for key, value in tensors.items():
        module, rest = key.split(".", 1)
        modules.setdefault(module, {})[rest] = value
    out = save_checkpoint(folder / "checkpoint", modules, json.loads(meta["config"]), json.loads(meta["record"]))
    print(f"unpacked {folder / PACKED} → {out}")
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--from", dest="source", type=Path)
    p.add_argument("--out", type=Path)
    p.add_argument("--int8", default="", help="comma-separated modules to carry as int8")
    p.add_argument("--unpack", type=Path)
    a = p.parse_args()
    if a.unpack:
        unpack(a.unpack)
    elif a.source and a.out:
        pack(a.source, a.out, tuple(m for m in a.int8.split(",") if m))
    else:
        p.error("give --from CHECKPOINT --out DIR (pack) or --unpack DIR")


if __name__ == "__main__":
    main()
