"""Generation presets: what `sora-2` and `sora-2-pro` (and our own names) mean in steps and guidance."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class GenerationPreset:
    name: str
    sampler: str  # a key of phonofilm.diffusion.samplers.SAMPLERS
    steps: int
    video_guidance: float
    audio_guidance: float
    model_area: int  # working-resolution pixels (W·H) of the transformer's canvas
    max_seconds: float  # longest request; longer than `single_pass_seconds` is made in chunks (long.py)
    few_steps: int | None = None  # with a shortcut-distilled checkpoint: this many `shortcut` steps ...
    few_step_guidance: tuple[float, float] = (1.0, 1.0)  # ... at these (video, audio) guidance scales,
    few_step_speech_guidance: tuple[float, float] = (3.0, 2.0)  # ... these when the prompt has quoted lines
    single_pass_seconds: float = 20.0  # longest one-window generation (the longest training clips)
    noise_correlation: float = 0.0  # share of the starting noise common to a shot's latent frames (diffusion.noise) ...
    multi_shot_noise_correlation: float = 0.0  # ... and that share when the request has more than one shot,
    noise_correlation_cutoff: float = 1.0  # either shared up to this fraction of Nyquist in space (1 = all)
    image_guidance: float = 1.0  # guidance toward an image-to-video request's first frame (1 = none) ...
    image_guidance_below: float = 1.0  # ... at the steps whose noise level t is at most this


PRESETS: MappingProxyType[str, GenerationPreset] = MappingProxyType({
    # the fast path: few Euler steps at the model's native canvas. With a shortcut-distilled checkpoint,
    # 4 shortcut steps, unguided unless the prompt has quoted lines: on the validation split every guided
    # setting lowered effects sync (recall 0.25 → 0.04–0.22, raw: session 14 found the shipped model's effects
    # sync at its chance level either way), while dialogue needs guidance (adherence 0.53 guided vs 0.46 not,
    # 30 prompts; benchmarks/results/guidance*.json, docs/model-card.md).
    # A multi-shot request starts each shot from noise its latent frames share by 0.3 (diffusion.noise): on
    # the validation split that made every scripted cut (26 of 26 prompts, 15 with independent noise) and
    # halved the jitter where latent frames meet. One-shot requests keep independent noise: shared, they
    # lose dialogue and ambience adherence (−0.03 and −0.04, 95 % intervals below 0; 3 seeds of the validation
    # split, noise_correlation_adherence_s15.json). Effects sync, session 13's reason, is at its chance level
    # either way, and image-to-video, session 14's, is no longer at stake: a shot anchored by a clean latent
    # keeps independent noise whatever ρ is (diffusion.noise; docs/model-card.md).
    # An image-to-video request is guided toward its given frame at scale 5 on the steps with t ≤ 0.7 (the
    # last two of four): on 20 validation prompts the jump away from that frame fell 2.30 → 1.81 (paired
    # −0.49, 95 % [−0.61, −0.38], 19 of 20 clips) with prompt adherence level (+0.006 [−0.018, 0.031]) and
    # the same colour checks passed; guided at every step it lost the prompt's objects instead
    # (benchmarks/results/image_guidance*.json, docs/model-card.md).
    "sora-2": GenerationPreset("sora-2", "euler", 12, 3.0, 2.0, 128 * 72, 90.0, few_steps=4,
                               multi_shot_noise_correlation=0.3, image_guidance=5.0, image_guidance_below=0.7),
    # the fidelity path: more, second-order steps. With a shortcut-distilled checkpoint it samples like
    # sora-2: on the validation split its 24 Heun steps lost every matched impact (effects recall 0 at
    # guidance 4, 2.5 and at 1, 1, against 0.25) and dialogue did not gain (0.48 against 0.50;
    # benchmarks/results/guidance_pro.json). The Heun path stays for checkpoints without distillation.
    "sora-2-pro": GenerationPreset("sora-2-pro", "heun", 24, 4.0, 2.5, 128 * 72, 90.0, few_steps=4,
                                   multi_shot_noise_correlation=0.3, image_guidance=5.0, image_guidance_below=0.7),
    "draft": GenerationPreset("draft", "euler", 4, 1.0, 1.0, 128 * 72, 90.0),
})

ALIASES = {"sora-2-2025-10-06": "sora-2", "sora-2-pro-2025-10-06": "sora-2-pro",
           "sora-2-2025-12-08": "sora-2", "sora-2-pro-2025-12-08": "sora-2-pro"}


def generation_preset(name: str) -> GenerationPreset:
    """Preset by name or alias, with a clear error listing the choices."""
    key = ALIASES.get(name, name)
    if key not in PRESETS:
        raise ValueError(f"unknown preset/model {name!r}; choose one of {sorted(PRESETS) + sorted(ALIASES)}")
    return PRESETS[key]


def sampling_guidance(preset: GenerationPreset, few_step: bool, speaks: bool,
                      requested: tuple[float, float] | None = None) -> tuple[float, float]:
    """The (video, audio) guidance scales a request samples with: its own when it names them; when it samples
    in the preset's few shortcut steps (`few_step`), the few-step scales (those for speech when the prompt
    has quoted lines); otherwise the preset's."""
    if requested is not None:
        return float(requested[0]), float(requested[1])
    if few_step:
        return preset.few_step_speech_guidance if speaks else preset.few_step_guidance
    return preset.video_guidance, preset.audio_guidance


def sampling_noise_correlation(preset: GenerationPreset, shots: int, requested: float | None = None,
                               requested_cutoff: float | None = None) -> tuple[float, float]:
    """The noise correlation and its band's cutoff a request samples with: each its own when it names it,
    else the preset's (the correlation for a request of `shots` shots)."""
    rho = preset.multi_shot_noise_correlation if shots > 1 else preset.noise_correlation
    return (float(requested) if requested is not None else rho,
            float(requested_cutoff) if requested_cutoff is not None else preset.noise_correlation_cutoff)


def working_size(width: int, height: int, area: int) -> tuple[int, int]:
    """The model canvas (multiples of 8) with the requested aspect ratio and about `area` pixels."""
    aspect = width / height
    w = max(16, round((area * aspect) ** 0.5 / 8) * 8)
    h = max(16, round((area / aspect) ** 0.5 / 8) * 8)
    return w, h
