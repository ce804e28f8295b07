"""tools/compare_reports.py: the model card's table, with a column merged from a full run and a re-run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

TOOL = Path(__file__).resolve().parents[1] / "tools" / "compare_reports.py"


def _report(path: Path, summary: dict) -> Path:
    path.write_text(json.dumps({"title": path.stem, "summary": summary, "set_metrics": {}, "clips": []}))
    return path


def _entry(mean: float | None, n: int) -> dict:
    return {"mean": mean, "n": n, "of": 4, "ideal": 0.0, "threshold": 0.5}


def test_a_later_report_replaces_the_capabilities_it_scored(tmp_path: Path) -> None:
    full = _report(tmp_path / "full.json", {"multi_shot": {"cut_count_error": _entry(1.25, 4)},
                                            "physics": {"gravity_error": _entry(None, 0)}})
    rerun = _report(tmp_path / "rerun.json", {"multi_shot": {"cut_count_error": _entry(0.5, 4)}})
    out = tmp_path / "table.md"
    subprocess.run([sys.executable, str(TOOL), f"before={full}", f"after={full}+{rerun}", "--out", str(out)],
                   check=True, capture_output=True)
    rows = {line.split(" | ")[1]: line for line in out.read_text().splitlines()[2:]}
    assert rows["cut_count_error"].endswith("| 1.25 (4/4) | 0.5 (4/4) |")
    assert rows["gravity_error"].endswith("| – (0/4) | – (0/4) |")  # kept from the full run
