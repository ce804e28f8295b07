"""The cameo reference encoder: shapes, masks, and that look, voice, name and slot each reach the tokens."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from tests.models.test_transformer import latents, make_text

from phonofilm.config import TransformerConfig, transformer_preset
from phonofilm.models.reference import CameoInput, ReferenceEncoder
from phonofilm.models.system import System, SystemConfig, system_preset
from phonofilm.models.transformer import JointAVTransformer, ModalityInput

TINY = transformer_preset("tiny")


def cameo_input(b: int = 2, k: int = 2, seed: int = 0, mask: list[list[bool]] | None = None) -> CameoInput:
    g = torch.Generator().manual_seed(seed)
    return CameoInput(
        video=torch.randn(b, k, TINY.video_channels, 4, 9, 16, generator=g),  # a 128×72 recording's latents
        audio=torch.randn(b, k, TINY.audio_channels, 98, generator=g),
        names=torch.randn(b, k, TINY.text_dim, generator=g),
        mask=torch.tensor(mask if mask is not None else [[True, True]] * b),
    )


def test_tokens_and_mask_shapes() -> None:
    enc = ReferenceEncoder(TINY).eval()
    tokens, mask = enc(cameo_input(mask=[[True, False], [True, True]]))
    r = TINY.reference_video_tokens + TINY.reference_voice_tokens
    assert tokens.shape == (2, 2 * r, TINY.reference_dim) and torch.isfinite(tokens).all()
    assert mask.tolist() == [[True] * r + [False] * r, [True] * (2 * r)]


@pytest.mark.parametrize("field", ["video", "audio", "names"])
def test_each_part_of_a_recording_changes_its_tokens_only(field: str) -> None:
    enc = ReferenceEncoder(TINY).eval()
    a = cameo_input()
    changed = getattr(a, field).clone()
    changed[0, 1] = torch.randn_like(changed[0, 1])
    ta, _ = enc(a)
    tb, _ = enc(dataclasses.replace(a, **{field: changed}))
    r = enc.tokens_per_cameo
    assert not torch.allclose(ta[0, r:], tb[0, r:])  # cameo 1 of sample 0 moved …
    assert torch.allclose(ta[0, :r], tb[0, :r]) and torch.allclose(ta[1], tb[1])  # … nothing else did


def test_slots_tell_identical_recordings_apart() -> None:
    a = cameo_input()
    same = CameoInput(a.video[:, :1].repeat(1, 2, 1, 1, 1, 1), a.audio[:, :1].repeat(1, 2, 1, 1),
                      a.names[:, :1].repeat(1, 2, 1), a.mask)
    tokens, _ = ReferenceEncoder(TINY).eval()(same)
    r = TINY.reference_video_tokens + TINY.reference_voice_tokens
    assert not torch.allclose(tokens[:, :r], tokens[:, r:])


def test_too_many_cameos_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="at most 2"):
        ReferenceEncoder(TINY)(cameo_input(k=3, mask=[[True] * 3] * 2))


def test_transformer_takes_recordings_and_masked_slots_do_not_matter() -> None:
    torch.manual_seed(0)
    model = JointAVTransformer(TINY).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "final" in name or "gate" in name or "modulation" in name:
                p.add_(torch.randn_like(p) * 0.05)
    video, audio = latents()
    t = torch.tensor([0.5, 0.5])
    cameo = cameo_input(mask=[[True, False], [True, False]])
    junk = dataclasses.replace(cameo, video=cameo.video.clone())
    junk.video[:, 1] += 5.0  # only the masked slot differs

    def run(c: CameoInput | None):
        with torch.no_grad():
            return model(ModalityInput(video), ModalityInput(audio), make_text(2), t, reference=c)

    base, with_cameo, with_junk = run(None), run(cameo), run(junk)
    assert not torch.allclose(base[0], with_cameo[0])  # the recording reaches the picture …
    assert torch.allclose(with_cameo[0], with_junk[0], atol=1e-5)  # … an empty slot does not
    assert torch.allclose(with_cameo[1], with_junk[1], atol=1e-5)


def test_a_model_without_encoder_refuses_recordings() -> None:
    model = JointAVTransformer(dataclasses.replace(TINY, reference_width=0))
    video, audio = latents()
    with pytest.raises(ValueError, match="no cameo reference encoder"):
        model(ModalityInput(video), ModalityInput(audio), make_text(2), torch.tensor([0.5, 0.5]),
              reference=cameo_input())


def test_configs_from_before_cameos_build_without_an_encoder() -> None:
    old = system_preset("tiny").to_dict()
    for key in ("reference_width", "reference_video_tokens", "reference_voice_tokens", "reference_layers",
                "max_cameos"):
        old["transformer"].pop(key)
    system = System(SystemConfig.from_dict(old))
    assert system.transformer.reference_encoder is None
    assert TransformerConfig.from_dict(system_preset("small").transformer.to_dict()).reference_width > 0
