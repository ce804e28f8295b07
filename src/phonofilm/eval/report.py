"""Reports: report.json (everything), report.md (per-capability tables), plots, and a printed summary.

Plots (matplotlib, written only when there is data for them): sync-offset histogram, trajectory fits
(tracked heights with the free-fall parabola), lip-sync correlation against lag.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from phonofilm.eval.suite import ClipResult, summarise


def _fmt(v: float | None, unit: str = "") -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    text = f"{v:.3g}" if abs(v) < 1000 else f"{v:.0f}"
    return f"{text} {unit}".strip()


def summary_lines(table: dict[str, dict[str, dict]]) -> list[str]:
    """A plain-text table: capability, metric, mean, ideal, threshold, failed/measured."""
    head = f"{'capability':<15} {'metric':<24} {'mean':>10} {'ideal':>8} {'fails at':>9} {'failed':>9}"
    lines = [head, "-" * len(head)]
    for cap, metrics in table.items():
        for name, s in metrics.items():
            lines.append(
                f"{cap:<15} {name:<24} {_fmt(s['mean']):>10} {_fmt(s['ideal']):>8} {_fmt(s['threshold']):>9} "
                f"{s['failed']:>4}/{s['n']:<4}"
            )
    return lines


def write_report(results: list[ClipResult], out: Path, title: str, extra: dict | None = None) -> list[str]:
    """Write report.json, report.md and plots under `out`; return the summary table lines."""
    out.mkdir(parents=True, exist_ok=True)
    table = summarise(results)
    payload = {
        "title": title,
        "summary": table,
        "set_metrics": extra or {},
        "clips": [{"id": r.id, "capability": r.capability, "metrics": _clean(r.metrics), "checks": r.checks}
                  for r in results],
    }
    (out / "report.json").write_text(json.dumps(payload, indent=1))
    plots = _plots(results, out)
    (out / "report.md").write_text(_markdown(title, table, extra or {}, plots))
    return summary_lines(table)


def _clean(d: dict[str, float]) -> dict[str, float | None]:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in d.items()}


def _markdown(title: str, table: dict, extra: dict, plots: list[str]) -> str:
    parts = [f"# {title}", "", "Ideal and failure thresholds: docs/eval.md. `failed` counts measurable clips "
             "past the threshold.", ""]  # fmt: skip
    for cap, metrics in table.items():
        parts += [f"## {cap}", "", "| metric | mean | median | ideal | fails at | failed | measured |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]  # fmt: skip
        for name, s in metrics.items():
            parts.append(f"| {name} | {_fmt(s['mean'], s['unit'])} | {_fmt(s['median'], s['unit'])} | "
                         f"{_fmt(s['ideal'])} | {_fmt(s['threshold'])} | {s['failed']} | {s['n']}/{s['of']} |")  # fmt: skip
        parts.append("")
    if extra:
        parts += ["## set metrics", "", "| metric | value |", "| --- | --- |"]
        parts += [f"| {k} | {_fmt(v)} |" for k, v in extra.items()] + [""]
    parts += [f"![{p}]({p})" for p in plots]
    return "\n".join(parts) + "\n"


def _plots(results: list[ClipResult], out: Path) -> list[str]:
    """Write the plots that have data; return their file names."""
    import matplotlib

    matplotlib.use("Agg", force=True)  # files only, never a window (set here, not at import)
    import matplotlib.pyplot as plt

    written = []
    offsets = [o for r in results for o in r.extras.get("sync_offsets_ms", [])]
    if offsets:
        fig, ax = plt.subplots(figsize=(5, 3))
        ax.hist(offsets, bins=np.arange(-250, 260, 10), color="#3a6ea5")
        ax.axvline(0, color="k", lw=0.8)
        ax.set(xlabel="audio − picture (ms)", ylabel="contacts", title="Sync offsets")
        written.append(_save(fig, out, "sync_offsets.png"))
    tracks = [(r.extras["scale"], t) for r in results if "tracks" in r.extras for t in r.extras["tracks"]][:6]
    if tracks:
        written.append(_trajectory_plot(plt, tracks, out))
    curves = [(r.extras["lip_lags_ms"], r.extras["lip_corr"]) for r in results if r.extras.get("lip_lags_ms")]
    if curves:
        fig, ax = plt.subplots(figsize=(5, 3))
        for lags, corr in curves:
            ax.plot(lags, [np.nan if c is None else c for c in corr], lw=0.8, alpha=0.7)
        ax.axvline(0, color="k", lw=0.8)
        ax.set(xlabel="lag (ms, + = sound late)", ylabel="correlation", title="Lip sync")
        written.append(_save(fig, out, "lip_sync_lag.png"))
    return written


def _trajectory_plot(plt, tracks: list, out: Path) -> str:
    """Tracked heights (metres, up) with a free-fall parabola (g = 9.81) drawn through each fall's start."""
    fig, ax = plt.subplots(figsize=(5, 3))
    for scale, tr in tracks:
        t = np.asarray(tr["t"])
        h = -np.asarray(tr["y"]) / scale
        line = ax.plot(t, h - h.min(), ".", ms=3)[0]
        k = int(np.argmax(h))
        tt = np.linspace(t[k], t[k] + np.sqrt(2 * max(h[k] - h.min(), 0.01) / 9.81), 30)
        ax.plot(tt, h[k] - h.min() - 0.5 * 9.81 * (tt - t[k]) ** 2, "-", color=line.get_color(), lw=0.8)
    ax.set(xlabel="time (s)", ylabel="height above lowest point (m)", title="Trajectories and g = 9.81 fits")
    return _save(fig, out, "trajectories.png")


def _save(fig, out: Path, name: str) -> str:
    fig.tight_layout()
    fig.savefig(out / name, dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return name
