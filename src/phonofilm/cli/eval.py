"""`phonofilm eval`: score clips with the objective metrics and write report.json, report.md and plots.

Wire it in with `register(app)` (adds the `eval` command to the root app).
"""

from __future__ import annotations

from pathlib import Path

import typer

from phonofilm.cli.common import UserError, parse_guidance, user_errors


def eval_command(
    clips: Path = typer.Option(None, help="Folder of NAME.mp4 + NAME.json (prompt, optional reference/image)."),
    suite: str = typer.Option(None, help="Benchmark suite: a capability (physics, dialogue, ...) or 'all'."),
    world: bool = typer.Option(False, help="With --suite: render the suite's world ground truth and score it."),
    model: str = typer.Option(None, help="With --suite: 'default', a checkpoint directory or 'untrained:small'."),
    through: str = typer.Option(None, help="With --world: pass each world clip through this model's "
                                "autoencoders and upsampler (the ceiling they put on generation)."),
    through_parts: str = typer.Option("video,audio", help="With --through: the autoencoders to pass through "
                                      "(video, audio, both, or 'none': the model canvas and upsampler alone)."),
    mode: str = typer.Option("joint", help="With --model: joint | separate (video first, then audio from it)."),
    per_capability: int = typer.Option(0, help="Use only the first N prompts of each capability (0 = all)."),
    steps: int = typer.Option(None, help="With --model: denoising steps (default: the preset's)."),
    preset: str = typer.Option("sora-2", help="With --model: generation preset, sora-2 or sora-2-pro."),
    guidance: str = typer.Option(None, help="With --model: VIDEO,AUDIO guidance scales (default: the preset's)."),
    noise_correlation: float = typer.Option(None, help="With --model: share of the starting noise common to "
                                            "a shot's latent frames, in [0, 1) (default: the preset's)."),
    noise_correlation_cutoff: float = typer.Option(None, help="With --model: share only the spatial frequencies "
                                                   "up to this fraction of Nyquist, in (0, 1] (default: the preset's)."),
    image_guidance: float = typer.Option(None, help="With --model: guidance of image-to-video prompts toward "
                                         "their given frame, in [0, 20] (default: the preset's; 1 = none)."),
    reference: Path = typer.Option(None, help="Folder of world clips for the Fréchet distances (FVD/FAD)."),
    out: Path = typer.Option(Path("eval-report"), help="Where report.json, report.md and plots go."),
    limit: int = typer.Option(0, help="Score only the first N prompts of the suite (0 = all)."),
    prompts: Path = typer.Option(None, help="Folder of suite .jsonl files (default: benchmarks/prompts)."),
) -> None:
    """Score generated (or world) clips: physics, AV sync, lip sync, adherence, identity, multi-shot, i2v."""
    from phonofilm.eval import suite as suites

    if (clips is None) == (suite is None):
        raise UserError("give exactly one of --clips DIR or --suite NAME (with --world or --model)")
    if mode not in ("joint", "separate"):
        raise UserError(f"--mode must be joint or separate, got {mode!r}")
    from phonofilm.pipeline.presets import PRESETS
    from phonofilm.pipeline.validate import MAX_GUIDANCE

    if preset not in PRESETS:
        raise UserError(f"--preset must be one of {sorted(PRESETS)}, got {preset!r}")
    scales = parse_guidance(guidance)
    if scales is not None and model is None:
        raise UserError("--guidance goes with --model (it sets how that model samples)")
    if noise_correlation is not None and (model is None or not 0.0 <= noise_correlation < 1.0):
        raise UserError(f"--noise-correlation goes with --model and must be in [0, 1), got {noise_correlation:g}")
    cutoff = noise_correlation_cutoff
    if cutoff is not None and (model is None or not 0.0 < cutoff <= 1.0):
        raise UserError(f"--noise-correlation-cutoff goes with --model and must be in (0, 1], got {cutoff:g}")
    if image_guidance is not None and (model is None or not 0.0 <= image_guidance <= MAX_GUIDANCE):
        raise UserError(f"--image-guidance goes with --model and must be in [0, {MAX_GUIDANCE:g}], "
                        f"got {image_guidance:g}")
    overrides = {k: v for k, v in {"noise_correlation": noise_correlation, "noise_correlation_cutoff": cutoff,
                                   "image_guidance": image_guidance}.items() if v is not None}
    with user_errors():
        if suite is not None:
            if world == (model is not None):
                raise UserError("--suite needs exactly one of --world (the ground truth) or --model CHECKPOINT")
            if through is not None and not world:
                raise UserError("--through MODEL goes with --world (world clips through the model's autoencoders)")
            if through is None and through_parts != "video,audio":
                raise UserError("--through-parts goes with --through MODEL (which model's autoencoders)")
            root = prompts or suites.PROMPTS_DIR
            from phonofilm.eval.runner import per_capability as pick

            chosen = pick(suites.load_suite(suite, root), per_capability)[: limit or None]
            clips = out / "clips"
            if world:
                typer.echo(f"rendering {len(chosen)} world clips of suite {suite!r} into {clips}"
                           + (f" through {through} ({through_parts})" if through else ""))
                from phonofilm.eval.runner import build_reconstructor

                parts = _parts(through_parts)
                suites.render_world(chosen, clips, build_reconstructor(through, parts) if through else None)
            else:
                _generate(model, chosen, clips, mode, steps, preset, scales, overrides)
        _score_folder(clips, reference, out, f"phonofilm eval: {clips}")


def _parts(text: str) -> tuple[str, ...]:
    parts = tuple(p.strip() for p in text.split(",") if p.strip() and p.strip() != "none")
    if set(parts) - {"video", "audio"}:
        raise UserError(f"--through-parts takes video, audio, both (video,audio) or none; got {text!r}")
    return parts


def _generate(model: str, chosen: list, clips: Path, mode: str, steps: int | None, preset: str,
              guidance: tuple[float, float] | None, overrides: dict[str, float] | None = None) -> None:
    """`overrides`: sampling settings in place of the preset's (noise_correlation, noise_correlation_cutoff,
    image_guidance), as generate_suite takes them."""
    from phonofilm.eval.runner import build_generator, generate_suite

    generator = build_generator(model)
    overrides = overrides or {}
    how = ", ".join([preset] + ([f"guidance {guidance[0]:g},{guidance[1]:g}"] if guidance else [])
                    + [f"{k.replace('_', ' ')} {v:g}" for k, v in overrides.items()])
    typer.echo(f"generating {len(chosen)} clips with {model} ({mode}, {how}) into {clips}")
    with typer.progressbar(length=len(chosen), label="generating") as bar:
        refused = generate_suite(chosen, generator, clips, mode, steps, on_clip=lambda _: bar.update(1),
                                 preset=preset, guidance=guidance, **overrides)
    if refused:
        typer.echo(f"{len(refused)} prompt(s) refused by the model: {sorted(set(refused.values()))}")


def _score_folder(clips: Path, reference: Path | None, out: Path, title: str) -> None:
    from phonofilm.eval.report import write_report
    from phonofilm.eval.suite import load_clip_dir, score

    items = list(load_clip_dir(clips))
    results = []
    with typer.progressbar(items, label="scoring") as bar:
        for item in bar:
            results.append(score(item))
    extra = _distribution(items, reference) if reference is not None else {}
    lines = write_report(results, out, title, extra)
    typer.echo("\n".join(lines))
    typer.echo(f"wrote {out / 'report.json'}, {out / 'report.md'}")


def _distribution(items: list, reference: Path) -> dict[str, float]:
    from phonofilm.eval.metrics.distribution import frechet_audio_distance, frechet_video_distance
    from phonofilm.eval.suite import load_clip_dir

    refs = [it.clip for it in load_clip_dir(reference)]
    gen = [it.clip for it in items]
    return {"frechet_video_distance": frechet_video_distance(gen, refs),
            "frechet_audio_distance": frechet_audio_distance(gen, refs)}  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add `phonofilm eval` to the root app."""
    app.command("eval", help="Score clips with phonofilm's objective metrics (docs/eval.md).")(eval_command)
