"""The learned pipeline end to end on a tiny checkpoint: request → clip → mp4 decoded back."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from phonofilm.diffusion.noise import low_band
from phonofilm.media import read_mp4
from phonofilm.pipeline.generate import Pipeline, load_generator
from phonofilm.pipeline.presets import (
    PRESETS,
    GenerationPreset,
    generation_preset,
    sampling_noise_correlation,
)
from phonofilm.pipeline.request import GenerationRequest
from phonofilm.pipeline.upsample import upsample_to

PROMPT = 'A red rubber ball bounces on a wooden floor. Pip says, "Watch this!"'


@pytest.fixture(scope="module")
def pipe(tiny_checkpoint: Path):
    return load_generator(tiny_checkpoint)


def test_generates_requested_size_duration_and_audio(pipe) -> None:
    for w, h in [(320, 180), (180, 320), (128, 128)]:
        r = pipe.generate(GenerationRequest(PROMPT, seconds=1.5, width=w, height=h, seed=1, steps=2))
        assert r.clip.frames.shape == (24, h, w, 3) and r.clip.frames.dtype == np.uint8
        assert r.clip.audio.shape == (2, 24000) and np.isfinite(r.clip.audio).all()
        assert r.metadata["resized_from"] != f"{w}x{h}"  # the resize is explicit in the metadata
        assert r.metadata["upsampler"]


def test_deterministic_by_seed(pipe) -> None:
    req = GenerationRequest(PROMPT, seconds=1.0, width=160, height=90, seed=5, steps=2)
    a, b = pipe.generate(req).clip, pipe.generate(req).clip
    c = pipe.generate(GenerationRequest(PROMPT, seconds=1.0, width=160, height=90, seed=6, steps=2)).clip
    assert np.array_equal(a.frames, b.frames) and np.array_equal(a.audio, b.audio)
    assert not np.array_equal(a.frames, c.frames)


def test_image_to_video_remix_extend_and_separate_mode(pipe) -> None:
    image = np.zeros((50, 70, 3), np.uint8)
    image[:, :35] = (220, 30, 30)
    first = pipe.generate(GenerationRequest("a red wall", seconds=1.0, width=160, height=90, seed=2, steps=2,
                                            image=image)).clip
    assert first.frames.shape == (16, 90, 160, 3)
    remix = pipe.generate(GenerationRequest("a blue wall", seconds=1.0, width=160, height=90, seed=2, steps=4,
                                            source=first, strength=0.5)).clip
    assert remix.frames.shape == first.frames.shape
    longer = pipe.generate(GenerationRequest("more", seconds=1.0, width=160, height=90, seed=3, steps=2,
                                             extend=first)).clip
    assert longer.frames.shape[0] == 32 and longer.audio.shape[1] == 32000
    assert np.array_equal(longer.frames[:16], first.frames)
    sep = pipe.generate(GenerationRequest(PROMPT, seconds=1.0, width=160, height=90, seed=1, steps=2),
                        mode="separate")
    assert sep.metadata["mode"] == "separate" and sep.clip.frames.shape == (16, 90, 160, 3)


def test_guidance_overrides_the_preset_and_is_recorded(pipe) -> None:
    req = GenerationRequest(PROMPT, seconds=1.0, width=160, height=90, seed=5, steps=2)
    preset = pipe.generate(req)
    same = pipe.generate(GenerationRequest(**{**req.__dict__, "guidance": (3.0, 2.0)}))  # sora-2's own scales
    off = pipe.generate(GenerationRequest(**{**req.__dict__, "guidance": (1.0, 1.0)}))
    assert preset.metadata["guidance"] == same.metadata["guidance"] == "3,2" and off.metadata["guidance"] == "1,1"
    assert np.array_equal(preset.clip.frames, same.clip.frames) and np.array_equal(preset.clip.audio, same.clip.audio)
    assert not np.array_equal(preset.clip.frames, off.clip.frames)
    assert not np.array_equal(preset.clip.audio, off.clip.audio)


def test_a_few_step_checkpoint_guides_only_speech_unless_asked(pipe) -> None:
    few = Pipeline(pipe.system, {**pipe.record, "few_step": True}, pipe.checkpoint, upsampler=pipe.upsampler)
    req = GenerationRequest("A red rubber ball bounces on a wooden floor.", seconds=1.0, width=160, height=90, seed=5)
    plain = few.generate(req)
    assert plain.metadata["sampler"] == "shortcut" and plain.metadata["steps"] == "4"
    assert plain.metadata["guidance"] == "1,1"  # sora-2's few_step_guidance
    guided = few.generate(GenerationRequest(**{**req.__dict__, "guidance": (3.0, 2.0)}))
    assert guided.metadata["guidance"] == "3,2" and not np.array_equal(plain.clip.audio, guided.clip.audio)
    spoken = few.generate(GenerationRequest(**{**req.__dict__, "prompt": PROMPT}))  # a quoted line
    assert spoken.metadata["guidance"] == "3,2"  # few_step_speech_guidance
    assert few.generate(GenerationRequest(**{**req.__dict__, "prompt": PROMPT, "guidance": (1.0, 1.5)})
                        ).metadata["guidance"] == "1,1.5"
    assert pipe.generate(GenerationRequest(**{**req.__dict__, "steps": 2})).metadata["guidance"] == "3,2"
    pro = few.generate(GenerationRequest(**{**req.__dict__, "preset": "sora-2-pro"}))  # samples like sora-2
    assert (pro.metadata["sampler"], pro.metadata["steps"], pro.metadata["guidance"]) == ("shortcut", "4", "1,1")
    slow = pipe.generate(GenerationRequest(**{**req.__dict__, "preset": "sora-2-pro", "steps": 2}))  # not distilled
    assert (slow.metadata["sampler"], slow.metadata["guidance"]) == ("heun", "4,2.5")


def test_noise_correlation_is_shared_within_a_shot_not_across_its_cut(pipe) -> None:
    """ρ = 0.9: the starting latents of one shot nearly agree, those either side of the scripted cut (1 s:
    frame 17, latent 5) do not; 0 is the independent noise every seed always gave."""
    req = GenerationRequest("Shot 1: a red room. Shot 2 (1 s): a blue room.", seconds=2.0, width=160,
                            height=90, seed=4, steps=2, noise_correlation=0.0)
    plain = pipe.generate(req)
    start, start_audio = pipe.last_chunks[0]["x"]["video"][0], pipe.last_chunks[0]["x"]["audio"]  # [C, F, h, w]
    shared = pipe.generate(GenerationRequest(**{**req.__dict__, "noise_correlation": 0.9}))
    x = pipe.last_chunks[0]["x"]["video"][0]

    def corr(z: torch.Tensor, a: int, b: int) -> float:
        return float(torch.corrcoef(torch.stack([z[:, a].flatten(), z[:, b].flatten()]))[0, 1])

    assert (plain.metadata["noise_correlation"], shared.metadata["noise_correlation"]) == ("0", "0.9")
    assert not np.array_equal(plain.clip.frames, shared.clip.frames)
    assert torch.equal(pipe.last_chunks[0]["x"]["audio"], start_audio)  # the sound starts from the same noise
    assert min(corr(x, 1, 4), corr(x, 5, 8)) > 0.7 and abs(corr(x, 4, 5)) < 0.4
    assert abs(corr(start, 1, 4)) < 0.4  # without it, independent


def test_an_image_to_video_shot_keeps_independent_noise(pipe) -> None:
    """A given first frame fixes what its shot shows: that shot starts from the seed's independent noise
    whatever ρ is (shared, the clip jumps away from the frame), and the next shot still shares."""
    image = np.zeros((90, 160, 3), np.uint8)
    image[:, :80] = (200, 40, 40)
    req = GenerationRequest("Shot 1: a red room. Shot 2 (1 s): a blue room.", seconds=2.0, width=160,
                            height=90, seed=4, steps=2, image=image, noise_correlation=0.0)
    pipe.generate(req)
    plain = pipe.last_chunks[0]["x"]["video"][0]  # [C, F, h, w]; latent 0 is the clean first frame
    shared = pipe.generate(GenerationRequest(**{**req.__dict__, "noise_correlation": 0.9}))
    x = pipe.last_chunks[0]["x"]["video"][0]
    assert shared.metadata["noise_correlation"] == "0.9"
    assert torch.equal(x[:, :5], plain[:, :5])  # the anchored shot: the same noise as with ρ = 0
    assert float(torch.corrcoef(torch.stack([x[:, 5].flatten(), x[:, 8].flatten()]))[0, 1]) > 0.7


def test_image_guidance_moves_the_clip_and_not_the_given_frame(pipe) -> None:
    """sora-2 guides an image-to-video clip toward its frame by default (asking for its scale is the same
    clip, bit for bit); image_guidance 1 turns that off, which changes the generated latents but not the given
    frame's and says so in the metadata; a request without an image ignores it."""
    image = np.zeros((90, 160, 3), np.uint8)
    image[:, :80] = (200, 40, 40)
    req = GenerationRequest(PROMPT, seconds=1.0, width=160, height=90, seed=3, steps=2, image=image)
    default = pipe.generate(req)
    v5 = pipe.last_chunks[0]["video"]
    assert default.metadata["image_guidance"] == f"{PRESETS['sora-2'].image_guidance:g}" != "1"
    five = pipe.generate(GenerationRequest(**{**req.__dict__, "image_guidance": PRESETS["sora-2"].image_guidance}))
    assert np.array_equal(five.clip.frames, default.clip.frames) and np.array_equal(five.clip.audio, default.clip.audio)
    off = pipe.generate(GenerationRequest(**{**req.__dict__, "image_guidance": 1.0}))
    v1 = pipe.last_chunks[0]["video"]
    assert off.metadata["image_guidance"] == "1"
    assert torch.equal(v1[:, :, :1], v5[:, :, :1])  # the given frame's latent is held exactly
    assert (v1[:, :, 1:] - v5[:, :, 1:]).abs().max() > 1e-3
    text_only = GenerationRequest(PROMPT, seconds=1.0, width=160, height=90, seed=3, steps=2)
    a, b = pipe.generate(text_only), pipe.generate(GenerationRequest(**{**text_only.__dict__, "image_guidance": 3.0}))
    assert np.array_equal(a.clip.frames, b.clip.frames) and "image_guidance" not in b.metadata


def test_a_band_cutoff_shares_only_the_low_frequencies_of_the_starting_noise(pipe) -> None:
    """ρ = 0.9 in the band up to a quarter of Nyquist: within the shot the starting latents' low band nearly
    agrees and what is above it is the independent noise of the same seed, untouched."""
    req = GenerationRequest(PROMPT, seconds=2.0, width=160, height=90, seed=4, steps=2, noise_correlation=0.0)
    pipe.generate(req)
    start = pipe.last_chunks[0]["x"]["video"][0]  # [C, F, h, w]
    banded = pipe.generate(GenerationRequest(**{**req.__dict__, "noise_correlation": 0.9,
                                                "noise_correlation_cutoff": 0.25}))
    x = pipe.last_chunks[0]["x"]["video"][0]
    low, high = low_band(x, 0.25), x - low_band(x, 0.25)

    def corr(z: torch.Tensor, a: int, b: int) -> float:
        return float(torch.corrcoef(torch.stack([z[:, a].flatten(), z[:, b].flatten()]))[0, 1])

    assert banded.metadata["noise_correlation_cutoff"] == "0.25"
    assert corr(low, 1, 6) > 0.7 and abs(corr(high, 1, 6)) < 0.4
    assert torch.allclose(high, start - low_band(start, 0.25), atol=1e-5)


def test_the_preset_shares_noise_only_where_the_script_cuts(pipe) -> None:
    """sora-2 samples one-shot prompts from independent noise (shared, an image-to-video clip jumps away
    from its first frame) and multi-shot prompts from noise shared by each shot (what gave the cuts); a
    request's own value wins either way."""
    preset = generation_preset("sora-2")
    assert preset.noise_correlation == 0.0 < preset.multi_shot_noise_correlation
    one = GenerationRequest(PROMPT, seconds=1.0, width=160, height=90, seed=5, steps=2)
    two = GenerationRequest("Shot 1: a red room. Shot 2 (0.5 s): a blue room.", seconds=1.0, width=160,
                            height=90, seed=5, steps=2)
    assert pipe.generate(one).metadata["noise_correlation"] == "0"
    assert pipe.generate(two).metadata["noise_correlation"] == f"{preset.multi_shot_noise_correlation:g}"
    assert pipe.generate(GenerationRequest(**{**two.__dict__, "noise_correlation": 0.0})
                         ).metadata["noise_correlation"] == "0"
    assert pipe.generate(GenerationRequest(**{**one.__dict__, "noise_correlation": 0.25})
                         ).metadata["noise_correlation"] == "0.25"
    assert pipe.generate(two).metadata["noise_correlation_cutoff"] == "1"  # every spatial frequency


def test_the_noise_a_request_samples_with_follows_its_shot_count() -> None:
    preset = GenerationPreset("p", "euler", 4, 1.0, 1.0, 128 * 72, 20.0, noise_correlation=0.1,
                              noise_correlation_cutoff=0.5, multi_shot_noise_correlation=0.3)
    assert sampling_noise_correlation(preset, 1) == (0.1, 0.5)
    assert sampling_noise_correlation(preset, 3) == (0.3, 0.5)  # one band for both
    assert sampling_noise_correlation(preset, 1, 0.0) == (0.0, 0.5)
    assert sampling_noise_correlation(preset, 3, None, 0.25) == (0.3, 0.25)


def test_a_scripted_cut_is_decoded_as_a_cut(pipe) -> None:
    """The latents are decoded with the causal context cut where shot 2 starts (0.5 s = frame 8: the
    nearest first frame of a latent is 9, latent 3), so no frame of shot 2 fades in from shot 1."""
    req = GenerationRequest("Shot 1: a red room. Shot 2 (0.5 s): a blue room.", seconds=1.0, width=160,
                            height=90, seed=3, steps=2)
    clip = pipe.generate(req).clip
    vae, zv = pipe.system.video_vae, pipe.system.video_vae.denormalize(pipe.last_chunks[0]["video"])

    def delivered(frames):
        return upsample_to(frames[0, :, : len(clip.frames)], 160, 90, pipe.upsampler)[0]

    with torch.no_grad():
        assert np.array_equal(clip.frames, delivered(vae.decode(zv, cuts=[3])))
        faded = delivered(vae.decode(zv))
    assert np.array_equal(clip.frames[:9], faded[:9]) and not np.array_equal(clip.frames[9:], faded[9:])


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"prompt": "   "}, "prompt is empty"),
        ({"prompt": "x" * 32001}, "at most 32000"),
        ({"seconds": 0.0}, "seconds"),
        ({"seconds": 600.0}, "seconds"),
        ({"width": 0}, "width"),
        ({"width": 10000, "height": 10000}, "width"),
        ({"width": 321}, "even"),
        ({"preset": "sora-3"}, "unknown preset"),
        ({"steps": 0}, "steps"),
        ({"guidance": (3.0, float("nan"))}, "guidance must be two scales"),
        ({"guidance": (21.0, 1.0)}, "between 0 and 20"),
        ({"guidance": (3.0,)}, "guidance must be two scales"),
        ({"noise_correlation": 1.0}, r"noise_correlation must be a number in \[0, 1\)"),
        ({"noise_correlation": -0.1}, "noise_correlation"),
        ({"noise_correlation": "0.5"}, "noise_correlation"),
        ({"noise_correlation_cutoff": 0.0}, r"noise_correlation_cutoff must be a fraction of the Nyquist frequency in \(0, 1\]"),
        ({"noise_correlation_cutoff": 1.5}, "noise_correlation_cutoff"),
        ({"noise_correlation_cutoff": "0.5"}, "noise_correlation_cutoff"),
        ({"image_guidance": -1.0}, r"image_guidance must be a scale between 0 and 20 \(1 = no guidance"),
        ({"image_guidance": float("nan")}, "image_guidance"),
        ({"image_guidance": True}, "image_guidance"),
    ],
)
def test_bad_requests_are_refused_clearly(pipe, kwargs: dict, words: str) -> None:
    args = {"prompt": PROMPT, "seconds": 1.0, "width": 160, "height": 90, "seed": 1, "steps": 1} | kwargs
    with pytest.raises(ValueError, match=words):
        pipe.generate(GenerationRequest(**args))


def test_demo_cli_generates_with_the_shipped_model(tmp_path: Path) -> None:
    """`phonofilm demo` (what `make demo` runs) calls `generate` from Python with every option it declares."""
    out = tmp_path / "demo.mp4"
    r = subprocess.run([sys.executable, "-m", "phonofilm", "demo", "--out", str(out), "--size", "160x90",
                        "--seconds", "1"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    media = read_mp4(out)
    assert media.frames.shape == (16, 90, 160, 3) and media.audio is not None
    assert "noise_correlation" in media.metadata.get("comment", "")


def test_generate_cli_writes_decodable_mp4(tiny_checkpoint: Path, tmp_path: Path) -> None:
    out = tmp_path / "gen.mp4"
    r = subprocess.run([sys.executable, "-m", "phonofilm", "generate", PROMPT, "--out", str(out), "--size",
                        "320x180", "--seconds", "2", "--seed", "3", "--steps", "2", "--checkpoint",
                        str(tiny_checkpoint)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    media = read_mp4(out)
    assert media.frames.shape == (32, 180, 320, 3)
    assert media.audio is not None and media.audio.shape[0] == 2
    assert abs(media.audio.shape[1] / media.sample_rate - 2.0) < 0.01
    assert "resized_from" in media.metadata.get("comment", "")
    bad = subprocess.run([sys.executable, "-m", "phonofilm", "generate", PROMPT, "--out", str(out), "--size",
                          "0x180", "--checkpoint", str(tiny_checkpoint)], capture_output=True, text=True)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "width" in bad.stderr
    for option, value, words in (("--guidance", "3", "VIDEO,AUDIO"), ("--guidance", "3,x", "VIDEO,AUDIO"),
                                 ("--guidance", "3,-1", "between 0 and 20"),
                                 ("--noise-correlation", "1.5", "noise_correlation must be a number in [0, 1)"),
                                 ("--noise-correlation-cutoff", "2", "noise_correlation_cutoff must be a fraction"),
                                 ("--image-guidance", "-2", "image_guidance must be a scale between 0 and 20")):
        bad = subprocess.run([sys.executable, "-m", "phonofilm", "generate", PROMPT, "--out", str(out),
                              option, value, "--checkpoint", str(tiny_checkpoint)], capture_output=True,
                             text=True)
        assert bad.returncode == 2 and "Traceback" not in bad.stderr and words in bad.stderr, bad.stderr
    pt = tmp_path / "weights.pt"
    pt.write_bytes(b"not a safetensors file")
    bad = subprocess.run([sys.executable, "-m", "phonofilm", "generate", PROMPT, "--checkpoint", str(pt)],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "safetensors" in bad.stderr and "Traceback" not in bad.stderr
