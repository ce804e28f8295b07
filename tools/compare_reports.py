"""Side-by-side table of several `phonofilm eval` reports (the model card's score table).

Usage: python tools/compare_reports.py NAME=PATH[+PATH ...] [NAME=PATH ...] [--out table.md]
PATH: a report.json, or the folder `phonofilm eval --out` wrote it into. A column given several paths
joined by "+" is merged: each later report replaces the capabilities it scored (e.g. one suite re-run
after a fix, beside the full run it updates).
Each cell is "mean (measured/total)"; "–" where no clip was measurable.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("reports", nargs="+", help="NAME=PATH pairs: a report.json or the folder holding it")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    runs = {}
    for item in args.reports:
        name, _, paths = item.partition("=")
        runs[name] = {}
        for path in paths.split("+"):
            file = Path(path) / "report.json" if Path(path).is_dir() else Path(path)
            runs[name].update(json.loads(file.read_text())["summary"])
    rows = []
    caps = sorted({c for s in runs.values() for c in s})
    header = "| capability | metric | ideal | fails at | " + " | ".join(runs) + " |"
    rows += [header, "|" + " --- |" * (4 + len(runs))]
    for cap in caps:
        metrics = list(dict.fromkeys(m for s in runs.values() for m in s.get(cap, {})))
        for m in metrics:
            first = next(s[cap][m] for s in runs.values() if m in s.get(cap, {}))
            cells = []
            for s in runs.values():
                e = s.get(cap, {}).get(m)
                if e is None or e["mean"] is None:
                    cells.append("–" if e is None else f"– (0/{e['of']})")
                else:
                    cells.append(f"{e['mean']:.3g} ({e['n']}/{e['of']})")
            rows.append(f"| {cap} | {m} | {first['ideal']:g} | {first['threshold']:g} | " + " | ".join(cells) + " |")
    text = "\n".join(rows)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
