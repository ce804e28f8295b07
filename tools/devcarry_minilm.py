"""Pack all-MiniLM-L6-v2 small enough to travel to a lent GPU machine (64 MiB working-tree limit).

The world's captions use a few thousand word pieces of MiniLM's 30,522, so only those rows of the word
embedding travel (fp16, with their ids); every other weight travels in fp16. On the GPU machine,
`--unpack DIR` rebuilds a `model.safetensors` that gives exactly the fp16 model's states for any text
made of kept pieces (unknown pieces embed to zero; the number kept and a coverage check are printed).

Usage: python tools/devcarry_minilm.py --out .devcarry/minilm [--scenes 1500]
       python tools/devcarry_minilm.py --unpack .devcarry/minilm   (on the GPU machine)
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

EMB = "embeddings.word_embeddings.weight"


def _texts(scenes: int) -> list[str]:
    from phonofilm.world.caption import caption
    from phonofilm.world.identities import IDENTITY_NAMES
    from phonofilm.world.physics import simulate
    from phonofilm.world.sampler import sample_scene
    from phonofilm.world.vocab import DIALOGUE_LINES

    out = [*IDENTITY_NAMES, *DIALOGUE_LINES]
    for seed in range(scenes):
        try:
            scene = sample_scene(seed, duration=4.0)
        except ValueError:
            continue
        events = simulate(scene).events
        out += [caption(scene, events, seed=k) for k in range(3)]
    for f in sorted(Path("benchmarks/prompts").glob("*.jsonl")):
        out += [json.loads(line)["prompt"] for line in f.read_text().splitlines() if line.strip()]
    return out


def pack(out: Path, scenes: int) -> None:
    import torch
    from safetensors.torch import load_file, save_file
    from transformers import AutoTokenizer

    from phonofilm.models.text import minilm_path

    src = minilm_path()
    tok = AutoTokenizer.from_pretrained(str(src), local_files_only=True)
    ids: set[int] = set(tok.all_special_ids)
    for text in _texts(scenes):
        ids.update(tok(text)["input_ids"])
    keep = torch.tensor(sorted(ids), dtype=torch.int64)
    weights = load_file(src / "model.safetensors")
    packed = {k: v.half().contiguous() for k, v in weights.items() if k != EMB and v.is_floating_point()}
    packed.update({k: v for k, v in weights.items() if not v.is_floating_point()})
    packed["kept_rows"] = weights[EMB][keep].half().contiguous()
    packed["kept_ids"] = keep
    out.mkdir(parents=True, exist_ok=True)
    for f in src.iterdir():
        if f.name != "model.safetensors":
            (shutil.copytree if f.is_dir() else shutil.copy)(f, out / f.name)
    save_file(packed, out / "packed.safetensors", metadata={"rows": str(weights[EMB].shape[0])})
    print(f"kept {len(keep)} of {weights[EMB].shape[0]} word pieces → {out}")


def unpack(folder: Path) -> None:
    import torch
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    packed = load_file(folder / "packed.safetensors")
    with safe_open(str(folder / "packed.safetensors"), "pt") as f:
        rows = int(f.metadata()["rows"])
    kept, ids = packed.pop("kept_rows"), packed.pop("kept_ids")
    emb = torch.zeros(rows, kept.shape[1], dtype=kept.dtype)
    emb[ids] = kept
    packed[EMB] = emb
    save_file(packed, folder / "model.safetensors", metadata={"format": "pt"})
    print(f"unpacked {len(ids)} kept word pieces into {folder / 'model.safetensors'}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path)
    p.add_argument("--scenes", type=int, default=1500)
    p.add_argument("--unpack", type=Path)
    a = p.parse_args()
    if a.unpack:
        unpack(a.unpack)
    elif a.out:
        pack(a.out, a.scenes)
    else:
        p.error("give --out DIR (pack) or --unpack DIR")


if __name__ == "__main__":
    main()
