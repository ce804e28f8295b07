"""benchmarks/image_still_start.py: image-to-video sampled from the still image re-noised to t₀."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import image_still_start
from phonofilm.pipeline.generate import load_generator
from phonofilm.pipeline.request import GenerationRequest


def test_the_free_latents_start_from_the_still_image_and_sampling_from_t0(tiny_checkpoint: Path) -> None:
    image = np.zeros((72, 128, 3), np.uint8)
    image[:, 64:] = (30, 200, 60)
    request = GenerationRequest("A green wall.", seconds=1.0, width=128, height=72, seed=3, steps=2, image=image)
    plain = image_still_start.still_start_pipeline(load_generator(tiny_checkpoint), 1.0)
    still = image_still_start.still_start_pipeline(plain, 0.5)
    plain.generate(request)
    noise = plain.last_chunks[0]["x"]["video"]
    still.generate(request)
    x = still.last_chunks[0]["x"]["video"]
    assert torch.equal(x[:, :, :1], noise[:, :, :1])  # the given frame's clean latent, as before
    vae = still.system.video_vae
    frames = torch.from_numpy(image).permute(2, 0, 1)[:, None].float().div(127.5).sub(1).expand(-1, 5, -1, -1)
    z = vae.normalize(vae.encode(frames[None]).mean)
    assert torch.allclose(x[:, :, 1:], 0.5 * z[:, :, 1:] + 0.5 * noise[:, :, 1:], atol=1e-4)


@pytest.mark.slow
def test_each_start_time_is_generated_scored_and_measured(tmp_path: Path, tiny_checkpoint: Path) -> None:
    out = tmp_path / "still.json"
    result = image_still_start.main(["--checkpoint", str(tiny_checkpoint), "--start", "1", "0.5", "--n", "1",
                                     "--work", str(tmp_path / "work"), "--out", str(out)])
    assert json.loads(out.read_text()) == result
    assert [r["start"] for r in result["runs"]] == [1.0, 0.5]
    for row in [result["world"], *result["runs"]]:
        assert set(row["suite"]) == {"first_frame_psnr", "continuation_jump", "prompt_adherence"}
        assert row["generic"]["prompt_adherence"]["clips"] == 1 and row["motion"]["median_change"] >= 0
    assert result["runs"][0]["motion"] != result["runs"][1]["motion"]
    with pytest.raises(SystemExit, match="a start time is in"):
        image_still_start.main(["--start", "0"])
    with pytest.raises(SystemExit, match="at least 1"):
        image_still_start.main(["--n", "0"])
