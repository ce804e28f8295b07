"""benchmarks/frame_jitter.py: frame-to-frame change where latent frames meet and inside them."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from phonofilm.media import write_mp4

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import frame_jitter


def _clip(path: Path, seam_jump: float) -> None:
    """A slow pan over a gradient (a little change every frame); `seam_jump` more at frames 1 + 4m."""
    x = np.linspace(0, 255, 160)[None, :, None]
    frames = []
    for t in range(33):
        level = 2.0 * t + seam_jump * ((t + 3) // 4)  # +seam_jump entering frames 1, 5, 9, …
        frames.append(np.broadcast_to((x * 0.6 + level) % 256, (96, 160, 3)))
    write_mp4(path, np.stack(frames).astype(np.uint8), 16.0)


def test_a_seam_jump_every_four_frames_shows_and_a_steady_clip_does_not(tmp_path: Path) -> None:
    (tmp_path / "steady").mkdir()
    (tmp_path / "seams").mkdir()
    for i in range(2):
        _clip(tmp_path / "steady" / f"{i}.mp4", 0.0)
        _clip(tmp_path / "seams" / f"{i}.mp4", 12.0)
    out = tmp_path / "jitter.json"
    assert frame_jitter.main([f"steady={tmp_path / 'steady'}", f"seams={tmp_path / 'seams'}", "--out", str(out)]) == 0
    runs = json.loads(out.read_text())["runs"]
    assert runs["steady"]["clips"] == 2 and 0.7 < runs["steady"]["ratio"] < 1.4
    assert runs["seams"]["ratio"] > 3 and abs(runs["seams"]["inside"] - runs["steady"]["inside"]) < 0.3


def test_bad_input_is_one_line(tmp_path: Path, capsys) -> None:
    (tmp_path / "empty").mkdir()
    assert frame_jitter.main([f"x={tmp_path / 'empty'}", "--out", str(tmp_path / "j.json")]) == 2
    assert "no .mp4 files" in capsys.readouterr().err
