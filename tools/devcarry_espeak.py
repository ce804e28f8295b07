"""Slim the espeakng-loader wheel for a lent GPU machine (64 MiB working-tree limit): the world's voices
are English (`Voice.base` en-us), so every other language's pronunciation dictionary stays behind
(about 8 of its 10 MB). The wheel's RECORD is rewritten to list what is left.

Usage: python tools/devcarry_espeak.py .whl/espeakng_loader-*.whl   (rewrites it in place)
"""

from __future__ import annotations

import argparse
import zipfile
from pathlib import Path

KEEP_DICTS = ("en_dict",)


def slim(wheel: Path) -> None:
    tmp = wheel.with_suffix(".tmp")
    dropped = 0
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        names = [n for n in src.namelist()
                 if not (n.endswith("_dict") and "/espeak-ng-data/" in n and Path(n).name not in KEEP_DICTS)]
        dropped = len(src.namelist()) - len(names)
        for name in names:
            data = src.read(name)
            if name.endswith(".dist-info/RECORD"):
                kept = set(names)
                data = b"".join(line + b"\n" for line in data.splitlines()
                                if line.split(b",", 1)[0].decode() in kept)
            dst.writestr(src.getinfo(name), data)
    before = wheel.stat().st_size
    tmp.replace(wheel)
    print(f"{wheel.name}: {dropped} dictionaries dropped, {before / 2**20:.1f} → {wheel.stat().st_size / 2**20:.1f} MiB")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("wheel", type=Path)
    slim(p.parse_args().wheel)


if __name__ == "__main__":
    main()
