"""Cameo training data and the continuation masks: what goes with a clip, and that it reaches the model."""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from phonofilm.diffusion.patchify import TimeLayout
from phonofilm.models.reference import REFERENCE_FRAMES, REFERENCE_HEIGHT, REFERENCE_WIDTH
from phonofilm.models.system import System, system_preset
from phonofilm.models.text import TextEncoder
from phonofilm.train.batches import WorldBatches
from phonofilm.train.cameos import collate_cameos, pick_cameos, recording
from phonofilm.train.config import DataConfig, train_preset
from phonofilm.train.steps import clean_masks, encode_cameos, transformer_step
from phonofilm.world.cameo import make_recording, recording_seed
from phonofilm.world.identities import IDENTITY_NAMES


def test_picks_are_in_the_scene_and_distractors_are_not() -> None:
    data = DataConfig(cameo_p=0.7, cameo_distractor_p=0.5)
    rng = np.random.default_rng(0)
    present, absent, empty = 0, 0, 0
    for _ in range(400):
        ids = sorted(rng.choice(64, size=int(rng.integers(1, 3)), replace=False).tolist())
        picks = pick_cameos(rng, ids, data)
        assert len(picks) <= 2 and len({p[0] for p in picks}) == len(picks)
        present += sum(p[0] in ids for p in picks)
        absent += sum(p[0] not in ids for p in picks)
        empty += not picks
    assert present > 200 and 100 < absent < present and empty > 20
    assert pick_cameos(rng, [], DataConfig(cameo_p=1.0)) == []  # no characters, no distractor asked: none


def test_a_recording_is_the_identity_alone_speaking_on_the_reference_canvas() -> None:
    clip = make_recording(5, 1)
    scene = clip.truth.scene
    assert [c.identity for c in scene.characters] == [5] and not scene.objects
    assert clip.truth.utterances and scene.seed == recording_seed(5, 1) < 2_000_000_000
    video, audio = recording(5, 1)
    assert video.shape == (REFERENCE_FRAMES, REFERENCE_HEIGHT, REFERENCE_WIDTH, 3) and video.dtype == np.uint8
    assert audio.shape == (2, REFERENCE_FRAMES * 1000) and np.abs(audio).max() > 0.01
    again = make_recording(5, 1)
    assert np.array_equal(clip.frames, again.frames) and np.array_equal(clip.audio, again.audio)
    assert not np.array_equal(clip.frames, make_recording(5, 2).frames)  # another take, another room


def test_collate_places_each_recording_in_its_sample_and_slot() -> None:
    assert collate_cameos([[], []]) is None
    batch = collate_cameos([[], [(3, 0), (9, 1)], [(3, 2)]])
    assert batch["where"].tolist() == [[1, 0], [1, 1], [2, 0]]
    assert batch["names"] == [IDENTITY_NAMES[3], IDENTITY_NAMES[9], IDENTITY_NAMES[3]]
    assert batch["video"].shape[0] == 3 and batch["audio"].shape[0] == 3


def test_continuation_masks_cover_video_and_the_matching_audio() -> None:
    cfg = dataclasses.replace(train_preset("tiny"), p_first_frame=0.0, p_continue=1.0)
    g = torch.Generator().manual_seed(0)
    f = 9
    n_audio = 2 * (1 + 4 * (f - 1))
    layout = TimeLayout()
    cond_v, cond_a = clean_masks(cfg, g, 64, f, n_audio, torch.device("cpu"), layout)
    k = cond_v.sum(1)
    assert (k >= 1).all() and (k <= f // 2).all() and len(set(k.tolist())) > 1
    assert (cond_v == (torch.arange(f)[None] < k[:, None])).all()  # a prefix, never a gap
    assert cond_a.sum(1).tolist() == [layout.audio_under(int(x)) for x in k]
    assert layout.audio_under(0) == 0 and layout.audio_under(1) == 2 and layout.audio_under(3) == 18


def test_cameo_batches_train_the_reference_encoder() -> None:
    cfg = train_preset("tiny")
    data = dataclasses.replace(cfg.data, cameo_p=1.0, cameo_distractor_p=1.0)
    torch.manual_seed(0)
    system = System(system_preset("tiny"))
    with torch.no_grad():  # open the zero-initialised gates, as any training step does
        for name, p in system.transformer.named_parameters():
            if "modulation" in name or "final" in name:
                p.add_(torch.randn_like(p) * 0.05)
    system.video_vae.eval().requires_grad_(False)
    system.audio_vae.eval().requires_grad_(False)
    text = TextEncoder(max_tokens=64)
    batch = None
    for step in range(20):  # a batch whose clips have characters
        batch = WorldBatches(data, 2, step).batch(step)
        if batch["cameos"] is not None:
            break
    assert batch is not None and batch["cameos"] is not None
    cameo = encode_cameos(system, text, batch["cameos"], 2, torch.device("cpu"))
    assert cameo.mask.any() and cameo.video.shape[:2] == (2, 2)
    opt = torch.optim.SGD(system.transformer.parameters(), lr=0.0)
    transformer_step(system, system.transformer, text, opt, batch, cfg, torch.Generator().manual_seed(0),
                     torch.device("cpu"))
    grads = [p.grad for p in system.transformer.reference_encoder.parameters() if p.grad is not None]
    assert grads and any(g.abs().sum() > 0 for g in grads)
