"""Fixtures shared by every test folder: a tiny, self-describing generator checkpoint built on the spot."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from phonofilm.models.system import System, save_system, system_preset


def build_tiny_checkpoint(directory: Path, seed: int = 0, temporal_factor: int | None = None) -> Path:
    """A randomly initialised tiny system (every output layer nudged off zero) saved like a real one."""
    torch.manual_seed(seed)
    system = System(system_preset("tiny", temporal_factor))
    with torch.no_grad():
        for name, p in system.transformer.named_parameters():
            if "final" in name or "gate" in name or "adaLN" in name or "modulation" in name:
                p.add_(torch.randn_like(p) * 0.02)  # zero-init layers would make every clip identical
    return save_system(directory, system, {"train_config": "fixture", "steps": {}, "eval": {}})


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of a tiny synthetic checkpoint directory (sharded safetensors + config in metadata)."""
    return build_tiny_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny")


@pytest.fixture(scope="session")
def tiny_checkpoint_2x(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Like `tiny_checkpoint`, with a 2× temporal video VAE (8 latent frames per second)."""
    return build_tiny_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny-2x", temporal_factor=2)
