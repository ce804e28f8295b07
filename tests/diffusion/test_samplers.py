"""Samplers, guidance and the model_fn they share, on exact velocity fields and a tiny real transformer."""

from __future__ import annotations

import torch

from phonofilm.config import transformer_preset
from phonofilm.diffusion.flow import get_schedule
from phonofilm.diffusion.guidance import (
    ClassifierFreeGuidance,
    ImageGuidance,
    TransformerDenoiser,
    guided,
    image_guided,
)
from phonofilm.diffusion.samplers import SAMPLERS, euler, get_noise, heun, shortcut
from phonofilm.models.text import TextConditioning
from phonofilm.models.transformer import JointAVTransformer

TINY = transformer_preset("tiny")
SHAPES = {"video": (2, TINY.video_channels, 3, 4, 6), "audio": (2, TINY.audio_channels, 24)}
GAUSS = {"video": (0.5, 0.1), "audio": (-1.0, 2.0)}  # (mean, std) of each stream's data


def gaussian_velocity(x: dict, t: torch.Tensor, step_size=None) -> dict:
    """The exact flow velocity E[ε − x0 | x_t] when x0 ~ N(mean, std²) per element."""
    out = {}
    for name, xs in x.items():
        mu, s = GAUSS[name]
        tt = t.double().view(-1, *([1] * (xs.dim() - 1)))
        sigma = torch.sqrt((1 - tt) ** 2 * s**2 + tt**2)
        out[name] = -mu + (xs - (1 - tt) * mu) * (tt - (1 - tt) * s**2) / sigma**2
    return out


def gaussian_exact(noise: dict) -> dict:
    """Where the ODE takes each noise sample: mean + std·z."""
    return {name: GAUSS[name][0] + GAUSS[name][1] * z for name, z in noise.items()}


def max_error(a: dict, b: dict) -> float:
    return max((a[k] - b[k]).abs().max().item() for k in a)


def test_point_mass_lands_exactly() -> None:
    target = {
        name: torch.randn(shape, generator=torch.Generator().manual_seed(1)) for name, shape in SHAPES.items()
    }

    def point_velocity(x, t, step_size=None):
        return {k: (x[k] - target[k]) / t.view(-1, *([1] * (x[k].dim() - 1))) for k in x}

    for sampler in (euler, heun):
        out = sampler(point_velocity, get_noise(SHAPES, seed=0), get_schedule(7, num_tokens=500))
        assert max_error(out, target) < 1e-4


def test_gaussian_target_converges_and_heun_beats_euler() -> None:
    noise = {k: v.double() for k, v in get_noise(SHAPES, seed=2).items()}
    exact = gaussian_exact(noise)

    def error(sampler, steps: int) -> float:
        return max_error(sampler(gaussian_velocity, noise, get_schedule(steps).double()), exact)

    euler_100, euler_400 = error(euler, 100), error(euler, 400)
    heun_100, heun_400 = error(heun, 100), error(heun, 400)
    assert euler_400 < 0.05 and heun_400 < 1e-3  # both converge to the exact transport map
    assert 3 < euler_100 / euler_400 < 5  # first order: 4x steps, 4x smaller error
    assert heun_100 / heun_400 > 10  # second order: ~16x
    assert error(heun, 8) < 0.25 * error(euler, 8)  # the curved path is where Heun pays off


def test_callback_sees_every_step() -> None:
    seen = []
    euler(
        gaussian_velocity,
        get_noise(SHAPES, seed=0),
        get_schedule(5),
        callback=lambda info: seen.append(info["i"]),
    )
    assert seen == [0, 1, 2, 3, 4]
    assert set(SAMPLERS) == {"euler", "heun", "shortcut"}


# --- with the real (tiny) transformer ----------------------------------------------------------------


def tiny_model(open_gates: bool = True) -> JointAVTransformer:
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = JointAVTransformer(TINY).eval()
        if open_gates:
            for name, p in model.named_parameters():
                if "modulation" in name or "final" in name:
                    torch.nn.init.normal_(p, std=0.1)
    return model


def tiny_text(batch: int = 2) -> TextConditioning:
    g = torch.Generator().manual_seed(5)
    return TextConditioning(
        torch.randn(batch, 4, 384, generator=g),
        torch.ones(batch, 4, dtype=torch.bool),
        torch.randint(3, 40, (batch, 3), generator=g),
        torch.ones(batch, 3, dtype=torch.bool),
        torch.ones(batch, 3, dtype=torch.long),
        torch.zeros(batch, 3, dtype=torch.long),
    )


def test_sampling_is_deterministic_by_seed() -> None:
    fn = guided(TransformerDenoiser(tiny_model(), tiny_text()), video_scale=3.0, audio_scale=2.0)
    sigmas = get_schedule(4, num_tokens=100)
    a = heun(fn, get_noise(SHAPES, seed=11), sigmas)
    b = heun(fn, get_noise(SHAPES, seed=11), sigmas)
    c = heun(fn, get_noise(SHAPES, seed=12), sigmas)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert all(not torch.equal(a[k], c[k]) for k in a)


def test_guidance_scale_one_is_the_conditional_model() -> None:
    cond = TransformerDenoiser(tiny_model(), tiny_text())
    uncond = cond.unconditional()
    x, t = get_noise(SHAPES, seed=3), torch.full((2,), 0.6)
    v_c, v_u = cond(x, t), uncond(x, t)
    assert (v_c["video"] - v_u["video"]).abs().max() > 1e-4  # the caption matters
    same = ClassifierFreeGuidance(cond, uncond)(x, t)
    assert all(torch.equal(same[k], v_c[k]) for k in v_c)
    mixed = ClassifierFreeGuidance(cond, uncond, video_scale=3.0, audio_scale=1.0)(x, t)
    assert torch.allclose(mixed["video"], v_u["video"] + 3.0 * (v_c["video"] - v_u["video"]), atol=1e-6)
    assert torch.equal(mixed["audio"], v_c["audio"])


def test_image_guidance_pushes_the_free_frames_and_keeps_the_held_one() -> None:
    """The pass without the image sees the held latent noised to t (and its clean mask off); the free latents
    get v_n + s·(v_i − v_n); the held latent keeps zero velocity and the audio keeps v_i; s = 1 is v_i."""
    x, t = get_noise(SHAPES, seed=5), torch.full((2,), 0.6)
    frame = torch.full((*SHAPES["video"][:2], 1, *SHAPES["video"][3:]), 0.7)
    noise = torch.randn(frame.shape, generator=torch.Generator().manual_seed(1))
    x["video"][:, :, :1] = frame
    held = torch.tensor([[True, False, False]] * 2)
    with_image = TransformerDenoiser(tiny_model(), tiny_text(), video_cond_mask=held)
    without = TransformerDenoiser(with_image.model, with_image.text)
    seen = []

    def spy(x_in, t_in, step_size=None):
        seen.append(x_in["video"][:, :, :1].clone())
        return without(x_in, t_in, step_size)

    v_i = with_image(x, t)
    free = dict(x, video=x["video"].clone())
    free["video"][:, :, :1] = 0.4 * frame + 0.6 * noise
    v_n = without(free, t)
    assert (v_i["video"][:, :, 1:] - v_n["video"][:, :, 1:]).abs().max() > 1e-4  # the image matters
    out = ImageGuidance(with_image, spy, frame, noise, 2.5)(x, t)
    assert torch.allclose(seen[0], 0.4 * frame + 0.6 * noise)
    assert torch.allclose(out["video"][:, :, 1:], v_n["video"][:, :, 1:] + 2.5 * (v_i["video"] - v_n["video"])[:, :, 1:],
                          atol=1e-5)
    assert torch.equal(out["video"][:, :, :1], torch.zeros_like(frame))  # held clean: no velocity there
    assert torch.equal(out["audio"], v_i["audio"]) and torch.equal(x["video"][:, :, :1], frame)  # x untouched
    same = ImageGuidance(with_image, spy, frame, noise, 1.0)(x, t)
    assert len(seen) == 1 and all(torch.equal(same[k], v_i[k]) for k in v_i)  # s = 1: one pass, v_i exactly
    late = ImageGuidance(with_image, spy, frame, noise, 2.5, below=0.5)(x, t)  # t = 0.6 > 0.5: not guided yet
    assert len(seen) == 1 and all(torch.equal(late[k], v_i[k]) for k in v_i)
    assert torch.allclose(ImageGuidance(with_image, spy, frame, noise, 2.5, below=0.6)(x, t)["video"], out["video"])
    wired = image_guided(with_image, 1.0, 1.0, frame, noise, 2.5)(x, t)  # the pipeline's wiring: mask off
    assert torch.allclose(wired["video"], out["video"], atol=1e-6) and torch.equal(wired["audio"], v_i["audio"])


def test_video_only_and_audio_only_sampling() -> None:
    fn = TransformerDenoiser(tiny_model(), tiny_text())
    sigmas = get_schedule(3)
    video = euler(fn, get_noise({"video": SHAPES["video"]}, seed=0), sigmas)
    audio = euler(fn, get_noise({"audio": SHAPES["audio"]}, seed=0), sigmas)
    assert set(video) == {"video"} and video["video"].shape == SHAPES["video"]
    assert set(audio) == {"audio"} and audio["audio"].shape == SHAPES["audio"]


def test_clean_first_frame_survives_sampling() -> None:
    x = get_noise(SHAPES, seed=4)
    first = torch.full(SHAPES["video"][:2] + SHAPES["video"][3:], 0.7)
    x["video"][:, :, 0] = first
    cond_mask = torch.tensor([[True, False, False]] * 2)
    out = heun(TransformerDenoiser(tiny_model(), tiny_text(), video_cond_mask=cond_mask), x, get_schedule(3))
    assert torch.equal(out["video"][:, :, 0], first)
    assert not torch.equal(out["video"][:, :, 1:], x["video"][:, :, 1:])


def test_shortcut_step_size_reaches_the_model() -> None:
    model = tiny_model()
    fn = TransformerDenoiser(model, tiny_text())
    sigmas = get_schedule(2)
    noise = get_noise(SHAPES, seed=6)
    # an untrained step-size embedder adds exactly nothing: shortcut == euler
    assert all(
        torch.equal(a, b)
        for a, b in zip(shortcut(fn, noise, sigmas).values(), euler(fn, noise, sigmas).values(), strict=True)
    )
    with torch.no_grad():
        torch.nn.init.normal_(model.step_embed.mlp[2].weight, std=0.5)
    assert max_error(shortcut(fn, noise, sigmas), euler(fn, noise, sigmas)) > 1e-4
