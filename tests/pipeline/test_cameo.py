"""Cameos through the pipeline and the CLI: a recording (look + voice) conditions the clip it names."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from phonofilm.media import read_mp4, write_mp4
from phonofilm.models.system import System, save_system, system_preset
from phonofilm.pipeline.cameo import loudest_window
from phonofilm.pipeline.generate import load_generator
from phonofilm.pipeline.request import Cameo, GenerationRequest, UnsupportedRequest
from phonofilm.world.cameo import make_recording

PROMPT = 'Mira stands on a wooden floor. Mira says, "Watch this!"'


@pytest.fixture(scope="module")
def pipe(tiny_checkpoint: Path):
    return load_generator(tiny_checkpoint)


@pytest.fixture(scope="module")
def recording():
    clip = make_recording(2, 0)  # identity 2 is Mira
    return Cameo("Mira", clip.frames, clip.audio, clip.fps, clip.sample_rate)


def request(**kw) -> GenerationRequest:
    return GenerationRequest(**{"prompt": PROMPT, "seconds": 1.0, "width": 160, "height": 90, "seed": 4,
                                "steps": 2, **kw})


def test_a_cameo_changes_the_clip_deterministically(pipe, recording) -> None:
    plain = pipe.generate(request()).clip
    cast = pipe.generate(request(cameos=(recording,))).clip
    again = pipe.generate(request(cameos=(recording,))).clip
    assert cast.frames.shape == plain.frames.shape and cast.audio.shape == plain.audio.shape
    assert np.array_equal(cast.frames, again.frames) and np.array_equal(cast.audio, again.audio)
    assert not np.array_equal(cast.frames, plain.frames)
    other = dataclasses.replace(recording, frames=make_recording(40, 0).frames)  # another creature's look
    assert not np.array_equal(pipe.generate(request(cameos=(other,))).clip.frames, cast.frames)


def test_two_cameos_run_and_three_are_refused(pipe, recording) -> None:
    bo = make_recording(1, 0)
    two = (recording, Cameo("Bo", bo.frames, bo.audio, bo.fps, bo.sample_rate))
    assert pipe.generate(request(cameos=two)).clip.frames.shape == (16, 90, 160, 3)
    with pytest.raises(ValueError, match="at most two cameos"):
        pipe.generate(request(cameos=(*two, recording)))


def test_a_checkpoint_without_reference_encoder_refuses_with_a_code(tmp_path: Path, recording) -> None:
    cfg = system_preset("tiny")
    cfg = dataclasses.replace(cfg, transformer=dataclasses.replace(cfg.transformer, reference_width=0))
    torch.manual_seed(0)
    old = load_generator(save_system(tmp_path / "old", System(cfg), {"steps": {}}))
    with pytest.raises(UnsupportedRequest) as err:
        old.generate(request(cameos=(recording,)))
    assert err.value.code == "cameo_unsupported"


def test_a_long_recording_contributes_where_the_subject_speaks() -> None:
    fps, sr = 16.0, 16000
    frames = np.zeros((160, 8, 8, 3), np.uint8)
    frames[96:] = 200  # the subject is on screen from 6 s
    audio = np.zeros((1, 10 * sr), np.float32)
    audio[0, 6 * sr : 8 * sr] = 0.5 * np.sin(np.arange(2 * sr) * 0.3)  # and speaks from 6 to 8 s
    f, a = loudest_window(Cameo("X", frames, audio, fps, sr), 3.0)
    assert np.abs(a).sum() >= 0.99 * np.abs(audio).sum()  # all of the speech is inside the window
    assert f.shape[0] >= 48 and (f[: len(f) // 2 + 10] == 200).any()


def test_cli_cameo(tiny_checkpoint: Path, tmp_path: Path, recording) -> None:
    rec = tmp_path / "mira.mp4"
    write_mp4(rec, recording.frames, recording.fps, recording.audio, recording.sample_rate)
    out = tmp_path / "out.mp4"
    base = [sys.executable, "-m", "phonofilm", "generate", PROMPT, "--out", str(out), "--size", "320x180",
            "--seconds", "1", "--steps", "2", "--checkpoint", str(tiny_checkpoint)]
    r = subprocess.run([*base, "--cameo", f"Mira={rec}"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert read_mp4(out).frames.shape == (16, 180, 320, 3)
    silent = tmp_path / "silent.mp4"
    write_mp4(silent, recording.frames, recording.fps)
    bad = subprocess.run([*base, "--cameo", f"Mira={silent}"], capture_output=True, text=True, timeout=300)
    assert bad.returncode != 0 and "no sound" in bad.stderr and "Traceback" not in bad.stderr
    missing = subprocess.run([*base, "--cameo", str(tmp_path / "nope.mp4")], capture_output=True, text=True,
                             timeout=300)
    assert missing.returncode != 0 and "no such file" in missing.stderr


def test_cli_cameo_by_stored_character_id(tiny_checkpoint: Path, tmp_path: Path, recording) -> None:
    import os

    from phonofilm.server.storage import LocalStorage
    from phonofilm.server.store import Character, Store

    home = tmp_path / "home"
    store = Store(f"sqlite:///{home / 'phonofilm.db'}")
    env = {**os.environ, "PHONOFILM_HOME": str(home), "PHONOFILM_DATABASE_URL": store.url}
    store.create_all()
    storage = LocalStorage(home / "files")
    file_id, path = storage.allocate()
    write_mp4(Path(path), recording.frames, recording.fps, recording.audio, recording.sample_rate)
    with store.write() as session:
        session.add(Character(id="char_mira", owner="key_x", name="Mira", file_id=file_id, created_at=0.0))
    out = tmp_path / "out.mp4"
    base = [sys.executable, "-m", "phonofilm", "generate", PROMPT, "--out", str(out), "--size", "320x180",
            "--seconds", "1", "--steps", "2", "--checkpoint", str(tiny_checkpoint)]
    r = subprocess.run([*base, "--cameo", "char_mira"], capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stderr
    assert read_mp4(out).metadata["comment"].count('"cameos": "Mira"') == 1
    bad = subprocess.run([*base, "--cameo", "char_nobody"], capture_output=True, text=True, timeout=300, env=env)
    assert bad.returncode != 0 and "no such character" in bad.stderr
