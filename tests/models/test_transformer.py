"""Joint audio-video transformer: token layout, RoPE in seconds, conditioning slots, learning."""

from __future__ import annotations

import pytest
import torch

from phonofilm.config import TRANSFORMER_PRESETS, TransformerConfig, autoencoder_presets, transformer_preset
from phonofilm.diffusion.flow import flow_loss, noise_latents, sample_timesteps, velocity_target
from phonofilm.diffusion.patchify import (
    audio_positions,
    patchify_audio,
    patchify_video,
    unpatchify_audio,
    unpatchify_video,
    video_positions,
)
from phonofilm.models.rope import apply_rope, rope_angles, rope_cos_sin, rope_split
from phonofilm.models.text import TextConditioning
from phonofilm.models.transformer import JointAVTransformer, ModalityInput, ReferenceInput

TINY = transformer_preset("tiny")


def make_model(
    seed: int = 0, config: TransformerConfig = TINY, open_gates: bool = False
) -> JointAVTransformer:
    """A tiny transformer built under a private RNG; open_gates randomises the zero-initialised layers."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = JointAVTransformer(config)
        if open_gates:
            for name, p in model.named_parameters():
                if "modulation" in name or "final" in name or "step_embed" in name:
                    torch.nn.init.normal_(p, std=0.1)
    return model


def make_text(batch: int, seed: int = 0, tokens: int = 6, dialogue: int = 5) -> TextConditioning:
    """Random caption states and dialogue ids shaped like TextEncoder output."""
    g = torch.Generator().manual_seed(seed)
    return TextConditioning(
        tokens=torch.randn(batch, tokens, 384, generator=g),
        mask=torch.ones(batch, tokens, dtype=torch.bool),
        dialogue_ids=torch.randint(3, 40, (batch, dialogue), generator=g),
        dialogue_mask=torch.ones(batch, dialogue, dtype=torch.bool),
        speaker_ids=torch.ones(batch, dialogue, dtype=torch.long),
        line_ids=torch.zeros(batch, dialogue, dtype=torch.long),
    )


def latents(batch: int = 2, frames: int = 3, h: int = 5, w: int = 7, audio: int = 24, seed: int = 0):
    """Random video [B, Cv, F, h, w] and audio [B, Ca, L] latents for the tiny preset."""
    g = torch.Generator().manual_seed(seed)
    video = torch.randn(batch, TINY.video_channels, frames, h, w, generator=g)
    return video, torch.randn(batch, TINY.audio_channels, audio, generator=g)


# --- patchify -------------------------------------------------------------------------------------


@pytest.mark.parametrize("hw", [(9, 16), (16, 9), (12, 12), (5, 7), (1, 1)])
def test_video_patchify_round_trip(hw: tuple[int, int]) -> None:
    video = torch.randn(2, 16, 5, *hw)
    tokens, grid = patchify_video(video, (1, 2, 2))
    assert tokens.shape == (2, 5 * -(-hw[0] // 2) * -(-hw[1] // 2), 64)
    assert torch.equal(unpatchify_video(tokens, grid, (1, 2, 2)), video)
    assert video_positions(grid, (1, 2, 2), 4.0).shape == (tokens.shape[1], 3)


@pytest.mark.parametrize(("length", "patch"), [(128, 1), (37, 2), (5, 4)])
def test_audio_patchify_round_trip(length: int, patch: int) -> None:
    audio = torch.randn(3, 16, length)
    tokens, n = patchify_audio(audio, patch)
    assert tokens.shape == (3, -(-length // patch), 16 * patch)
    assert torch.equal(unpatchify_audio(tokens, n, patch), audio)


# --- RoPE -----------------------------------------------------------------------------------------


def _joint_positions(offset_seconds: float = 0.0) -> torch.Tensor:
    _, grid = patchify_video(torch.zeros(1, 16, 9, 9, 16), (1, 2, 2))
    pos = torch.cat([video_positions(grid, (1, 2, 2), 4.0), audio_positions(64, 1, 32.0)])
    return pos + torch.tensor([offset_seconds, 0.0, 0.0])


def test_rope_logits_depend_only_on_time_differences() -> None:
    g = torch.Generator().manual_seed(1)
    head_dim = 32
    pos = _joint_positions()
    q, k = torch.randn(2, 1, 2, pos.shape[0], head_dim, generator=g).unbind(0)

    def logits(positions: torch.Tensor) -> torch.Tensor:
        cos, sin = rope_cos_sin(positions, head_dim, dtype=torch.float64)
        return apply_rope(q.double(), cos, sin) @ apply_rope(k.double(), cos, sin).transpose(-1, -2)

    base = logits(pos)
    shifted = logits(_joint_positions(37.25))
    assert (shifted - base).abs().max() < 1e-6  # logits are O(10): equal far beyond float32 precision
    # and the positions matter at all: moving only the audio in time changes video-audio logits
    moved = pos.clone()
    moved[-64:, 0] += 0.5
    assert not torch.allclose(logits(moved), base, atol=1e-3)


def test_video_and_audio_at_the_same_second_share_the_time_rotation() -> None:
    head_dim = 64
    time_pairs, _, _ = rope_split(head_dim)
    _, grid = patchify_video(torch.zeros(1, 16, 9, 16, 9), (1, 2, 2))
    video = rope_angles(video_positions(grid, (1, 2, 2), 4.0), head_dim)
    audio = rope_angles(audio_positions(128, 1, 32.0), head_dim)
    per_frame = grid.rows * grid.cols
    for frame in range(grid.frames):  # latent frame j and audio latent 8j both sit at j/4 s
        v_token = video[frame * per_frame + 3]
        a_token = audio[8 * frame]
        assert torch.equal(v_token[:time_pairs], a_token[:time_pairs])
        assert torch.count_nonzero(a_token[time_pairs:]) == 0  # y = x = 0: spatial pairs not rotated


# --- transformer ----------------------------------------------------------------------------------


def test_presets_are_valid_and_grow() -> None:
    sizes = [
        TRANSFORMER_PRESETS[n].dim * TRANSFORMER_PRESETS[n].depth for n in ("tiny", "small", "base", "large")
    ]
    assert sizes == sorted(sizes)
    assert TransformerConfig.from_dict(TINY.to_dict()) == TINY
    with pytest.raises(ValueError, match="unknown model preset"):
        transformer_preset("huge")


@pytest.mark.parametrize("name", sorted(TRANSFORMER_PRESETS))
def test_transformer_reads_the_latents_its_autoencoders_write(name: str) -> None:
    config, autoencoders = transformer_preset(name), autoencoder_presets(name)
    if "video_vae" in autoencoders:
        assert config.video_channels == autoencoders["video_vae"].latent_channels
    if "audio_vae" in autoencoders:
        assert config.audio_channels == autoencoders["audio_vae"].latent_channels


@pytest.mark.parametrize("streams", ["joint", "video", "audio"])
@pytest.mark.parametrize("extras", [False, True])
def test_output_shapes(streams: str, extras: bool) -> None:
    model = make_model(open_gates=True)
    video, audio = latents()
    t = torch.tensor([0.3, 0.9])
    cond = torch.tensor([[True, False, False], [False, False, False]])
    v_in = ModalityInput(
        video,
        cond_mask=cond if extras else None,
        shot_ids=torch.tensor([[0, 0, 1], [0, 1, 2]]) if extras else None,
        cuts=torch.tensor([[False, False, True], [False, True, True]]) if extras else None,
    )
    ref = ReferenceInput(
        torch.randn(2, 4, TINY.reference_dim), torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0]]).bool()
    )
    v_out, a_out = model(
        v_in if streams != "audio" else None,
        ModalityInput(audio) if streams != "video" else None,
        make_text(2),
        t,
        reference=ref if extras else None,
    )
    assert (v_out is None) == (streams == "audio") and (a_out is None) == (streams == "video")
    if v_out is not None:
        assert v_out.shape == video.shape and torch.isfinite(v_out).all()
        if extras:  # clean first frame: zero velocity, so samplers keep it; the rest is predicted
            assert torch.count_nonzero(v_out[0, :, 0]) == 0 and torch.count_nonzero(v_out[0, :, 1:]) > 0
    if a_out is not None:
        assert a_out.shape == audio.shape and torch.isfinite(a_out).all()


@pytest.mark.parametrize("hw", [(16, 9), (9, 16), (12, 12)])
def test_one_model_runs_every_aspect(hw: tuple[int, int]) -> None:
    model = make_model(open_gates=True)
    video, audio = latents(batch=1, frames=2, h=hw[0], w=hw[1], audio=8)
    v_out, a_out = model(ModalityInput(video), ModalityInput(audio), make_text(1), torch.tensor([0.5]))
    assert v_out.shape == video.shape and a_out.shape == audio.shape


def test_zero_init_gives_zero_output() -> None:
    model = make_model()
    video, audio = latents()
    v_out, a_out = model(ModalityInput(video), ModalityInput(audio), make_text(2), torch.tensor([0.5, 0.5]))
    assert torch.count_nonzero(v_out) == 0 and torch.count_nonzero(a_out) == 0


def test_audio_changes_video_and_video_changes_audio() -> None:
    model = make_model(open_gates=True)
    video, audio = latents(batch=1)
    text, t = make_text(1), torch.tensor([0.5])
    v_ref, a_ref = model(ModalityInput(video), ModalityInput(audio), text, t)
    v_alt, _ = model(ModalityInput(video), ModalityInput(audio + torch.randn_like(audio)), text, t)
    _, a_alt = model(ModalityInput(video + torch.randn_like(video)), ModalityInput(audio), text, t)
    assert (v_alt - v_ref).abs().max() > 1e-4
    assert (a_alt - a_ref).abs().max() > 1e-4


def test_text_dialogue_and_reference_change_the_output() -> None:
    model = make_model(open_gates=True)
    video, audio = latents(batch=1)
    t = torch.tensor([0.5])
    text = make_text(1)
    base, _ = model(ModalityInput(video), ModalityInput(audio), text, t)
    no_dialogue = text.drop(torch.tensor([True]), torch.tensor([False]))
    null = text.null()
    ref = ReferenceInput(torch.randn(1, 3, TINY.reference_dim))
    for other in (
        model(ModalityInput(video), ModalityInput(audio), no_dialogue, t)[0],
        model(ModalityInput(video), ModalityInput(audio), null, t)[0],
        model(ModalityInput(video), ModalityInput(audio), text, t, reference=ref)[0],
    ):
        assert torch.isfinite(other).all() and (other - base).abs().max() > 1e-4


def test_padded_reference_tokens_are_ignored() -> None:
    model = make_model(open_gates=True)
    video, audio = latents(batch=1)
    text, t = make_text(1), torch.tensor([0.5])
    tokens = torch.randn(1, 4, TINY.reference_dim)
    mask = torch.tensor([[True, True, False, False]])
    padded = model(
        ModalityInput(video), ModalityInput(audio), text, t, reference=ReferenceInput(tokens, mask)
    )
    junk = tokens.clone()
    junk[:, 2:] = 100.0
    changed = model(ModalityInput(video), ModalityInput(audio), text, t, reference=ReferenceInput(junk, mask))
    assert torch.allclose(padded[0], changed[0], atol=1e-5) and torch.allclose(
        padded[1], changed[1], atol=1e-5
    )


@pytest.mark.slow
def test_tiny_model_overfits_one_pair() -> None:
    model = make_model()
    g = torch.Generator().manual_seed(0)
    video, audio = (x.expand(4, *x.shape[1:]) for x in latents(batch=1, frames=3, h=6, w=8, audio=16))
    text = make_text(4)
    opt = torch.optim.AdamW(model.parameters(), lr=4e-3, weight_decay=0.0)
    losses = []
    for _ in range(200):
        t = sample_timesteps(4, g)
        nv, na = torch.randn(video.shape, generator=g), torch.randn(audio.shape, generator=g)
        pv, pa = model(
            ModalityInput(noise_latents(video, nv, t)), ModalityInput(noise_latents(audio, na, t)), text, t
        )
        loss, _ = flow_loss(
            {"video": pv, "audio": pa},
            {"video": velocity_target(video, nv), "audio": velocity_target(audio, na)},
        )
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    first, last = sum(losses[:10]) / 10, sum(losses[-20:]) / 20
    assert last < 0.2 * first, f"loss fell only from {first:.3f} to {last:.3f}"
