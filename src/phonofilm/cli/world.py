"""`phonofilm world ...`: render ground-truth clips and datasets from the procedural world."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from phonofilm.cli.common import UserError, parse_size, user_errors

app = typer.Typer(help="The procedural world: ground-truth clips with physics, sound, speech and captions.",
                  no_args_is_help=True)


def _fixed(style: str | None) -> dict:
    return {"style": style} if style else {}


@app.command()
def render(
    seed: int = typer.Option(0, help="Scene seed: the same seed always gives the same clip."),
    out: Path = typer.Option(Path("clip.mp4"), help="Output mp4; its ground truth goes beside it as .json."),
    size: str = typer.Option("128x72", help="WIDTHxHEIGHT, any aspect (e.g. 1280x720, 720x1280, 512x512)."),
    fps: float = typer.Option(16.0, help="Frames per second."),
    seconds: float = typer.Option(4.0, help="Duration in seconds."),
    style: str = typer.Option(None, help="realistic | cinematic | anime (random if omitted)."),
    sample_rate: int = typer.Option(16000, help="Audio sample rate in Hz."),
    channels: int = typer.Option(2, help="1 = mono, 2 = stereo."),
) -> None:
    """Render one world clip to an mp4 (H.264 + AAC) plus a .json with its caption and ground truth."""
    from phonofilm.media import write_mp4
    from phonofilm.world.make import make_clip_from_seed

    width, height = parse_size(size)
    if out.suffix.lower() != ".mp4":
        raise UserError(f"--out must end in .mp4, got {out}")
    with user_errors():
        clip = make_clip_from_seed(seed, seconds, width, height, fps, sample_rate, channels, **_fixed(style))
        out.parent.mkdir(parents=True, exist_ok=True)
        write_mp4(out, clip.frames, clip.fps, clip.audio, clip.sample_rate, {"comment": clip.caption})
    meta = {"caption": clip.caption, "seed": seed, "truth": clip.truth.to_dict()}
    out.with_suffix(".json").write_text(json.dumps(meta))
    typer.echo(clip.caption)
    typer.echo(f"wrote {out} ({width}x{height}, {clip.duration:.2f} s, {clip.fps:g} fps, "
               f"{clip.audio.shape[0]} ch {clip.sample_rate} Hz) and {out.with_suffix('.json')}")


@app.command()
def dataset(
    count: int = typer.Option(..., help="Number of clips."),
    out: Path = typer.Option(..., help="Output directory for tar shards + index.json."),
    workers: int = typer.Option(1, help="Rendering processes."),
    seed_start: int = typer.Option(0, help="First seed; clips use seed_start .. seed_start+count-1."),
    clips_per_shard: int = typer.Option(64, help="Clips per tar shard."),
    size: str = typer.Option("128x72", help="WIDTHxHEIGHT."),
    fps: float = typer.Option(16.0),
    seconds: float = typer.Option(4.0),
    sample_rate: int = typer.Option(16000),
    channels: int = typer.Option(2),
) -> None:
    """Render a dataset of world clips as tar shards that a PyTorch DataLoader streams (docs/world.md)."""
    from phonofilm.world.dataset import RenderSettings, write_dataset

    width, height = parse_size(size)
    with user_errors():
        settings = RenderSettings(seconds, width, height, fps, sample_rate, channels)
        shards = write_dataset(out, count, seed_start, clips_per_shard, workers, settings)
    typer.echo(f"wrote {count} clips in {len(shards)} shard(s) under {out}")


@app.command()
def sample(
    seed: int = typer.Option(0, help="Scene seed."),
    seconds: float = typer.Option(4.0),
    style: str = typer.Option(None, help="realistic | cinematic | anime (random if omitted)."),
) -> None:
    """Print the scene JSON drawn from a seed and its caption (no rendering)."""
    from phonofilm.world.caption import caption
    from phonofilm.world.sampler import sample_scene

    with user_errors():
        scene = sample_scene(seed, duration=seconds, **_fixed(style))
    typer.echo(scene.to_json(indent=2))
    typer.echo(caption(scene))
