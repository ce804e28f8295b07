"""Long videos and extensions as chunks that continue from clean overlapping latents (tiny checkpoint)."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from phonofilm.diffusion.patchify import TimeLayout
from phonofilm.media import read_mp4
from phonofilm.pipeline.generate import Pipeline
from phonofilm.pipeline.long import LongConfig, plan_chunks
from phonofilm.pipeline.request import GenerationRequest
from phonofilm.pipeline.storyboard import storyboard_from_json
from phonofilm.world.clip import Clip


@pytest.fixture(scope="module")
def pipe(tiny_checkpoint: Path) -> Pipeline:
    # 4 s windows with 1 s of context: many chunks even for short requests (fast on CPU)
    config = LongConfig(window_seconds=4.0, context_seconds=1.0, single_pass_seconds=4.0)
    return Pipeline.load(tiny_checkpoint, long_config=config)


LAYOUT = TimeLayout()  # the tiny and shipped models: 4 frames per latent frame, 2 audio latents per frame
audio_latents = LAYOUT.audio_under


def test_time_base_and_chunk_plan() -> None:
    assert [LAYOUT.frames_for(k) for k in (0, 1, 2, 5)] == [0, 1, 5, 17]
    assert [audio_latents(k) for k in (0, 1, 2, 5)] == [0, 2, 10, 34]  # 2 per frame: 2 + 8 (k − 1)
    assert [LAYOUT.latent_frames_for(n) for n in (1, 2, 5, 6)] == [1, 2, 2, 3]
    assert [LAYOUT.latent_frames_within(n) for n in (1, 4, 5, 8, 9)] == [1, 1, 2, 2, 3]
    chunks = plan_chunks(61, 17, 5, LAYOUT)
    assert [(c.start, c.length, c.context) for c in chunks] == [(0, 17, 0), (12, 17, 5), (24, 17, 5),
                                                                (36, 17, 5), (48, 13, 5)]
    assert chunks[1].audio_start == 96 and chunks[-1].audio_start + chunks[-1].audio_length == audio_latents(61)


def test_time_base_follows_the_temporal_factor() -> None:
    two = TimeLayout(frames_per_latent=2)  # a 2× video VAE: 8 latent frames per second
    assert [two.frames_for(k) for k in (0, 1, 2, 5)] == [0, 1, 3, 9]
    assert [two.audio_under(k) for k in (0, 1, 3)] == [0, 2, 10]  # still 2 audio latents per frame
    chunks = plan_chunks(61, 33, 9, two)
    # every chunk's audio starts under its first frame: global frame 2·start, 2 audio latents per frame
    assert [c.audio_start for c in chunks] == [4 * c.start for c in chunks]
    assert chunks[-1].audio_start + chunks[-1].audio_length == two.audio_under(61) == 2 * two.frames_for(61)


def test_a_2x_temporal_model_plans_generates_and_continues_on_its_own_time_base(tiny_checkpoint_2x: Path) -> None:
    pipe = Pipeline.load(tiny_checkpoint_2x,
                         long_config=LongConfig(window_seconds=2.0, context_seconds=0.5, single_pass_seconds=2.0))
    layout = pipe.system.config.layout
    assert layout == TimeLayout(frames_per_latent=2)
    r = pipe.generate(GenerationRequest("A red ball bounces.", seconds=3.0, width=64, height=36, seed=1, steps=1,
                                        preset="draft"))
    assert r.clip.frames.shape == (48, 36, 64, 3) and r.clip.audio.shape == (2, 3 * 16000)
    chunks = pipe.last_chunks
    assert int(r.metadata["chunks"]) == len(chunks) >= 2
    k = 5  # 0.5 s of context at 8 latent frames per second
    first, second = chunks[0], chunks[1]
    assert first["x"]["video"].shape[2] == 17 and first["x"]["audio"].shape[-1] == layout.audio_under(17) == 66
    assert second["cond_v"][0].tolist()[: k + 1] == [True] * k + [False]
    assert second["cond_a"][0, : layout.audio_under(k)].all() and not second["cond_a"][0, layout.audio_under(k):].any()
    assert torch.equal(second["x"]["audio"][..., : layout.audio_under(k)], first["audio"][..., -layout.audio_under(k):])
    longer = pipe.generate(GenerationRequest("It rolls on.", seconds=1.0, width=64, height=36, seed=2, steps=1,
                                             preset="draft", extend=r.clip)).clip
    assert longer.frames.shape[0] == 48 + 16 and np.array_equal(longer.frames[:48], r.clip.frames)
    tail = pipe.last_chunks[0]["cond_v"][0]  # the source's last 0.5 s (k latent frames) is given clean
    assert tail[:k].all() and not tail[k:].any()


@pytest.mark.slow
def test_long_request_is_exact_length_and_chunks_continue_from_the_last(pipe: Pipeline) -> None:
    seen: list[float] = []
    r = pipe.generate(GenerationRequest("A red ball bounces on a wooden floor.", seconds=30.0, width=64,
                                        height=36, seed=4, steps=1, preset="draft"),
                      progress=lambda f, s: seen.append(f))
    assert r.clip.frames.shape == (480, 36, 64, 3) and r.clip.audio.shape == (2, 30 * 16000)
    assert np.isfinite(r.clip.audio).all() and seen == sorted(seen) and seen[-1] == 1.0
    chunks = pipe.last_chunks
    assert int(r.metadata["chunks"]) == len(chunks) >= 8
    k = 5  # 1 s of context = 5 latent frames
    for prev, cur in itertools.pairwise(chunks):
        assert cur["cond_v"][0].tolist() == [True] * k + [False] * (cur["x"]["video"].shape[2] - k)
        n_audio = audio_latents(k)
        assert cur["cond_a"][0, :n_audio].all() and not cur["cond_a"][0, n_audio:].any()
        # context = the previous chunk's last latents (frame 0 re-encoded as a lone frame), kept clean
        assert torch.equal(cur["x"]["video"][:, :, 1:k], prev["video"][:, :, -(k - 1):])
        assert torch.equal(cur["x"]["audio"][..., :n_audio], prev["audio"][..., -n_audio:])
        assert torch.allclose(cur["video"][:, :, :k], cur["x"]["video"][:, :, :k], atol=1e-5)
    # drift control: every chunk's new video latents carry the first chunk's channel statistics
    ref = chunks[0]["video"][:, :, 1:].mean(dim=(0, 2, 3, 4))
    last = chunks[-1]["video"][:, :, 1:].mean(dim=(0, 2, 3, 4))
    assert torch.allclose(ref, last, atol=0.05)


def test_storyboard_over_chunks_reaches_the_transformer(pipe: Pipeline) -> None:
    board = storyboard_from_json({"shots": [{"prompt": "Wide on the room", "seconds": 3.0},
                                            {"prompt": "Close on the ball", "seconds": 3.0}]})
    calls: list[tuple[list[int], list[int]]] = []

    def spy(_module, args):  # the real transformer's forward inputs: (video, audio, text, t)
        video = args[0]
        calls.append((video.shot_ids[0].tolist(), torch.nonzero(video.cuts[0]).flatten().tolist()))

    handle = pipe.system.transformer.register_forward_pre_hook(spy)
    try:
        r = pipe.generate(GenerationRequest(board.script(), seconds=6.0, width=64, height=36, seed=1, steps=1,
                                            preset="draft", storyboard=board))
    finally:
        handle.remove()
    assert r.metadata["shots"] == "2" and r.clip.frames.shape[0] == 96
    per_chunk = list(dict.fromkeys((tuple(i), tuple(c)) for i, c in calls))  # CFG calls the model twice
    # cut at 3.0 s = frame 48: the nearest frame that starts a latent frame is 49, latent 13
    assert per_chunk[0] == (tuple([0] * 13 + [1] * 4), (13,))
    # chunk 2's window starts at global latent 12 (frame 48, coded alone): the same cut, at its latent 1
    assert per_chunk[1] == (tuple([0] + [1] * 12), (1,))


def test_a_chunk_after_a_cut_starts_from_the_new_shot(pipe: Pipeline) -> None:
    """Chunk 2 starts at global latent 12, where shot 2 starts (2.75 s: frame 45 → latent 12). Its lone
    first latent is re-encoded from that latent decoded as the start of a shot, not faded from shot 1."""
    board = storyboard_from_json({"shots": [{"prompt": "Wide on the room", "seconds": 2.75},
                                            {"prompt": "Close on the ball", "seconds": 3.25}]})
    pipe.generate(GenerationRequest(board.script(), seconds=6.0, width=64, height=36, seed=1, steps=1,
                                    preset="draft", storyboard=board))
    vae = pipe.system.video_vae
    z12 = vae.denormalize(pipe.last_chunks[0]["video"][:, :, 12:13])
    with torch.no_grad():
        fresh = vae.decode(torch.cat([z12, z12], dim=2))[:, :, -1:].clamp(-1, 1)  # shot 2's first latent, alone
        faded = vae.decode(vae.denormalize(pipe.last_chunks[0]["video"][:, :, 9:13]))[:, :, -1:].clamp(-1, 1)
    given = pipe.last_chunks[1]["x"]["video"][:, :, :1]
    torch.testing.assert_close(given, vae.normalize(vae.encode(fresh).mean), rtol=0, atol=1e-4)
    assert not torch.allclose(given, vae.normalize(vae.encode(faded).mean), atol=1e-3)


def test_extension_continues_the_source_and_respects_the_total_limit(pipe: Pipeline) -> None:
    first = pipe.generate(GenerationRequest("a red wall", seconds=2.0, width=64, height=36, seed=2, steps=1,
                                            preset="draft")).clip
    longer = pipe.generate(GenerationRequest("more", seconds=5.0, width=64, height=36, seed=3, steps=1,
                                             preset="draft", extend=first))
    assert longer.clip.frames.shape[0] == 32 + 80 and longer.clip.audio.shape[1] == 7 * 16000
    assert np.array_equal(longer.clip.frames[:32], first.frames)
    assert longer.metadata["extended_from_seconds"] == "2.000" and int(longer.metadata["chunks"]) >= 2
    chunk0 = pipe.last_chunks[0]
    k = 5  # the source tail (17 frames ≈ 1 s) is given clean
    assert chunk0["cond_v"][0, :k].all() and not chunk0["cond_v"][0, k:].any()
    assert chunk0["cond_a"][0, : audio_latents(k)].all()
    big = Clip(np.zeros((110 * 16, 8, 8, 3), np.uint8), np.zeros((2, 110 * 16000), np.float32), 16.0, 16000, "")
    with pytest.raises(ValueError, match=r"121\.00 s long; at most 120 s"):
        pipe.generate(GenerationRequest("more", seconds=11.0, width=64, height=36, steps=1, extend=big))


def test_too_long_requests_and_remix_of_long_are_refused(pipe: Pipeline) -> None:
    with pytest.raises(ValueError, match=r"seconds must be in \(0, 90\]"):
        pipe.generate(GenerationRequest("a", seconds=91.0, width=64, height=36))
    src = Clip(np.zeros((16, 8, 8, 3), np.uint8), np.zeros((2, 16000), np.float32), 16.0, 16000, "")
    with pytest.raises(ValueError, match="one window"):
        pipe.generate(GenerationRequest("a", seconds=30.0, width=64, height=36, steps=1, source=src))


def test_generate_cli_storyboard(tiny_checkpoint: Path, tmp_path: Path) -> None:
    sb = tmp_path / "board.json"
    sb.write_text(json.dumps({"shots": [{"prompt": "Wide on a red ball", "seconds": 1.5},
                                        {"prompt": "Close on the ball", "seconds": 1.0}]}))
    out = tmp_path / "board.mp4"
    cmd = [sys.executable, "-m", "phonofilm", "generate", "A wooden room.", "--out", str(out), "--size", "160x90",
           "--steps", "1", "--seed", "1", "--checkpoint", str(tiny_checkpoint), "--storyboard", str(sb)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    media = read_mp4(out)
    assert media.frames.shape[0] == 40  # 2.5 s at 16 fps: the storyboard's length
    meta = json.loads(media.metadata["comment"])
    assert "Shot 2 (1.5 s): Close on the ball." in meta["prompt"] and meta["shots"] == "2"
    bad = subprocess.run([*cmd[:-1], str(sb), "--seconds", "4"], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "add up to 2.5 s" in bad.stderr and "Traceback" not in bad.stderr
