"""Discriminators and hinge-loss training for the sound path's decoders (audio decoder, vocoder).

Why: an L1/L2 regression to a voice averages what it cannot place exactly — the audio decoder smears
harmonics into a flat band, the vocoder loses the period — and the benchmark then hears no speech
(docs/training.md, "The audio path: what keeps a voice"). A discriminator asks for what real sound
looks like instead of the mean of what it might be:

    log-mel [B, C, M, F] ─► MelDiscriminator     (patches of frequency × time: harmonic stripes)
    wave    [N, S]       ─► WaveDiscriminator    (HiFi-GAN's multi-period view: samples folded by period
                                                  p ∈ {2, 3, 5, 7, 11}, so a missing period shows)

Both return (per-patch logits of each sub-discriminator, every layer's features). `Adversary` owns one
with its optimizer: a hinge step for the discriminator, and the generator's adversarial and
feature-matching terms (added to the reconstruction loss, which stays in charge).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.parametrizations import weight_norm

Judgement = tuple[list[Tensor], list[Tensor]]  # (logits per sub-discriminator, features of every layer)


class MelDiscriminator(nn.Module):
    """Patch discriminator over log-mel [B, C, M, F]: weight-normed 3×3 convs, frequency halved three times."""

    def __init__(self, channels: int = 2, width: int = 64) -> None:
        super().__init__()
        dims = [channels, width // 2, width, width, width]
        self.convs = nn.ModuleList(
            weight_norm(nn.Conv2d(dims[i], dims[i + 1], 3, stride=(2, 1) if i else 1, padding=1)) for i in range(4)
        )
        self.out = nn.Conv2d(width, 1, 3, padding=1)

    def forward(self, mel: Tensor) -> Judgement:
        feats, x = [], mel
        for conv in self.convs:
            x = F.leaky_relu(conv(x), 0.2)
            feats.append(x)
        return [self.out(x)], feats


class PeriodDiscriminator(nn.Module):
    """Wave [N, S] folded into [N, 1, S / p, p] and judged by (5, 1) convs: each column is every p-th
    sample, so a periodic voice and an aperiodic smear look different at the right p."""

    def __init__(self, period: int, width: int = 128) -> None:
        super().__init__()
        self.period = period
        dims = [1, width // 8, width // 4, width // 2, width, width]
        self.convs = nn.ModuleList(
            weight_norm(nn.Conv2d(dims[i], dims[i + 1], (5, 1), stride=(3, 1) if i < 4 else 1, padding=(2, 0)))
            for i in range(5)
        )
        self.out = weight_norm(nn.Conv2d(width, 1, (3, 1), padding=(1, 0)))

    def forward(self, wave: Tensor) -> Judgement:
        n, s = wave.shape
        x = F.pad(wave, (0, -s % self.period), mode="reflect").reshape(n, 1, -1, self.period)
        feats = []
        for conv in self.convs:
            x = F.leaky_relu(conv(x), 0.1)
            feats.append(x)
        return [self.out(x)], feats


class WaveDiscriminator(nn.Module):
    """Multi-period discriminator over waves [N, S] (HiFi-GAN's MPD, narrower for CPUs)."""

    def __init__(self, periods: tuple[int, ...] = (2, 3, 5, 7, 11), width: int = 128) -> None:
        super().__init__()
        self.subs = nn.ModuleList(PeriodDiscriminator(p, width) for p in periods)

    def forward(self, wave: Tensor) -> Judgement:
        logits, feats = [], []
        for sub in self.subs:
            sub_logits, sub_feats = sub(wave)
            logits += sub_logits
            feats += sub_feats
        return logits, feats


class Adversary:
    """A discriminator with its optimizer. `weight` scales the generator's hinge term and `fm_weight` the
    mean L1 between the discriminator's features of real and generated inputs."""

    def __init__(self, net: nn.Module, weight: float, fm_weight: float, lr: float = 2e-4) -> None:
        if weight <= 0 or fm_weight < 0:
            raise ValueError(f"adversarial weight must be > 0 and feature matching >= 0, got {weight}, {fm_weight}")
        self.net, self.weight, self.fm_weight = net.train(), weight, fm_weight
        self.opt = torch.optim.AdamW(net.parameters(), lr=lr, betas=(0.8, 0.99))

    def play(self, real: Tensor, fake: Tensor) -> tuple[Tensor, dict[str, float]]:
        """One round: the discriminator's step, then the generator's weighted terms to add to its loss."""
        disc = self.step(real, fake)
        term, logs = self.generator_loss(real, fake)
        return term, {"disc": disc, **logs}

    def step(self, real: Tensor, fake: Tensor) -> float:
        """One hinge update of the discriminator on real vs (detached) generated inputs; returns its loss."""
        real_logits, _ = self.net(real)
        fake_logits, _ = self.net(fake.detach())
        loss = sum(F.relu(1 - r).mean() + F.relu(1 + f).mean() for r, f in zip(real_logits, fake_logits, strict=True))
        loss = loss / len(real_logits)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return float(loss.detach())

    def generator_loss(self, real: Tensor, fake: Tensor) -> tuple[Tensor, dict[str, float]]:
        """The generator's weighted adversarial + feature-matching terms, and both for the log."""
        self.net.requires_grad_(False)  # gradients flow to the generator only
        try:
            fake_logits, fake_feats = self.net(fake)
            with torch.no_grad():
                real_feats = self.net(real)[1]
        finally:
            self.net.requires_grad_(True)
        adv = sum(-f.mean() for f in fake_logits) / len(fake_logits)
        fm = sum(F.l1_loss(f, r) for f, r in zip(fake_feats, real_feats, strict=True)) / len(fake_feats)
        return self.weight * adv + self.fm_weight * fm, {"adv": float(adv.detach()), "fm": float(fm.detach())}
