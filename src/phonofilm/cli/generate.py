"""`phonofilm generate` and `phonofilm train`: the generator's two entry points."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from phonofilm.cli.common import UserError, parse_guidance, parse_size, user_errors


def default_checkpoint() -> Path:
    """The model shipped inside the package (see docs/model-card.md)."""
    from phonofilm.pipeline.generate import default_checkpoint as shipped

    return shipped()


def _read_image(path: Path):
    from phonofilm.media import decode_image

    if not path.is_file():
        raise UserError(f"--image {path}: no such file")
    return decode_image(path.read_bytes())


def _stored_character(character_id: str) -> str:
    """`NAME=PATH` of a character stored through the API under $PHONOFILM_HOME (any key's)."""
    from sqlalchemy.exc import SQLAlchemyError

    from phonofilm.server.settings import Settings
    from phonofilm.server.storage import LocalStorage
    from phonofilm.server.store import Character, Store

    settings = Settings.from_env()
    try:
        with Store(settings.db_url).read() as session:
            character = session.get(Character, character_id)
    except SQLAlchemyError:
        character = None
    if character is None:
        raise UserError(f"--cameo {character_id}: no such character in {settings.home} "
                        "(characters are stored with POST /v1/videos/characters; or give a recording file)")
    return f"{character.name}={LocalStorage(settings.files_dir).path(character.file_id)}"


def _read_cameo(spec: str):
    """--cameo [NAME=]PATH or a stored character id: a 2-4 s recording with sound of the subject called NAME
    (default: the file stem)."""
    from phonofilm.media import read_mp4
    from phonofilm.pipeline.request import Cameo

    if spec.startswith("char_") and "=" not in spec and not Path(spec).exists():
        spec = _stored_character(spec)
    name, sep, path_text = spec.partition("=")
    if not sep:
        name, path_text = "", spec
    path = Path(path_text)
    if not path.is_file():
        raise UserError(f"--cameo {spec}: no such file {path}")
    name = name.strip() or path.stem
    if not name or len(name) > 80:
        raise UserError(f"--cameo {spec}: the name must be 1-80 characters (give it as NAME=PATH)")
    media = read_mp4(path)
    if media.audio is None or media.audio.shape[-1] == 0:
        raise UserError(f"--cameo {spec}: the recording has no sound; a cameo needs the subject's voice")
    return Cameo(name, media.frames, media.audio, media.fps, media.sample_rate)


def _read_storyboard(path: Path, prompt: str, seconds: float | None):
    """The --storyboard JSON file as a Storyboard (PROMPT as its scene description if it has none)."""
    from phonofilm.pipeline.storyboard import Storyboard, storyboard_from_json

    if not path.is_file():
        raise UserError(f"--storyboard {path}: no such file")
    try:
        board = storyboard_from_json(path.read_text(), seconds)
    except ValueError as err:
        raise UserError(f"--storyboard {path}: {err}") from None
    return board if board.preamble else Storyboard(board.shots, prompt.strip())


def generate(
    prompt: str = typer.Argument(..., help='What to make. Put dialogue in double quotes: Pip says, "Hi!"'),
    out: Path = typer.Option(Path("clip.mp4"), help="Output mp4 (H.264 + AAC)."),
    seconds: float = typer.Option(None, help="Duration in seconds (default 4, or the storyboard's length); "
                                  "up to 90 (longer than 20 s is made in overlapping chunks)."),
    size: str = typer.Option("1280x720", help="Delivered WIDTHxHEIGHT: 1280x720, 720x1280, 1920x1080, ..."),
    seed: int = typer.Option(None, help="Random seed (same seed + prompt + model = same clip)."),
    steps: int = typer.Option(None, help="Denoising steps (default: the preset's)."),
    image: Path = typer.Option(None, help="First frame (png/jpeg/webp) for image-to-video."),
    preset: str = typer.Option("sora-2", help="sora-2 (fast) | sora-2-pro (24 Heun steps; like sora-2 on a distilled checkpoint, docs/model-card.md)."),
    guidance: str = typer.Option(None, help="VIDEO,AUDIO classifier-free guidance scales, e.g. 3,2 "
                                 "(default: the preset's; 1 = none)."),
    noise_correlation: float = typer.Option(None, help="Share of the starting noise common to the latent "
                                            "frames of a shot, in [0, 1) (default: the preset's; 0 = none)."),
    noise_correlation_cutoff: float = typer.Option(None, help="Share only the spatial frequencies up to this "
                                                   "fraction of Nyquist, in (0, 1] (default: the preset's; 1 = all)."),
    image_guidance: float = typer.Option(None, help="With --image: guidance toward the given first frame, in "
                                         "[0, 20] (default: the preset's; 1 = none; higher jumps less, moves less)."),
    checkpoint: Path = typer.Option(None, help="Model checkpoint directory (default: the shipped model)."),
    device: str = typer.Option("cpu", help="cpu | cuda"),
    storyboard: Path = typer.Option(None, help='Shots as JSON: {"shots": [{"prompt": "...", "seconds": 2.5}, '
                                    '...]}; PROMPT then describes the scene they share.'),
    cameo: list[str] = typer.Option(None, help="[NAME=]recording.mp4 (a 2-4 s clip with sound of a subject) or "
                                    "a stored character id (char_...); say NAME in the prompt (at most 2)."),
) -> None:
    """Generate a video with synchronized audio from a text prompt."""
    from tqdm import tqdm

    from phonofilm.media import write_mp4
    from phonofilm.pipeline.generate import load_generator
    from phonofilm.pipeline.request import GenerationRequest, UnsupportedRequest

    width, height = parse_size(size)
    if out.suffix.lower() != ".mp4":
        raise UserError(f"--out must end in .mp4, got {out}")
    ckpt = checkpoint or default_checkpoint()
    with user_errors():
        first = _read_image(image) if image is not None else None
        board = _read_storyboard(storyboard, prompt, seconds) if storyboard is not None else None
        if cameo and len(cameo) > 2:
            raise UserError(f"--cameo given {len(cameo)} times; at most 2 subjects per video")
        cameos = tuple(_read_cameo(c) for c in cameo or ())
        seconds = board.seconds if board is not None else (4.0 if seconds is None else seconds)
        text = board.script() if board is not None else prompt
        request = GenerationRequest(text, seconds, width, height, seed, steps, preset, image=first,
                                    cameos=cameos, storyboard=board, guidance=parse_guidance(guidance),
                                    noise_correlation=noise_correlation,
                                    noise_correlation_cutoff=noise_correlation_cutoff,
                                    image_guidance=image_guidance)
        from phonofilm.pipeline.validate import validate_request

        validate_request(request)
        pipe = load_generator(ckpt, device)
        bar = tqdm(total=100, desc="generating", unit="%", file=sys.stderr)

        def progress(fraction: float, stage: str) -> None:
            bar.set_description(stage)
            bar.update(round(100 * fraction) - bar.n)

        try:
            result = pipe.generate(request, progress)
        except UnsupportedRequest as e:
            raise UserError(f"{e} ({e.code})") from None
        bar.close()
        clip = result.clip
        meta = {"prompt": request.prompt, **result.metadata}  # with a storyboard: the script the model read
        write_mp4(out, clip.frames, clip.fps, clip.audio, clip.sample_rate,
                  {"comment": json.dumps(meta), "title": prompt[:200]})
    typer.echo(f"wrote {out} ({width}x{height}, {clip.duration:.2f} s, {clip.fps:g} fps, audio "
               f"{clip.audio.shape[0]} ch {clip.sample_rate} Hz; model canvas {meta['resized_from']}, "
               f"resized by {meta['upsampler']})")


DEMO_PROMPT = ('A red rubber ball is dropped onto a wooden floor and bounces with a dull thud while a blue '
               'metal cube slides across it. Pip, a round green creature, says, "Watch this!" Realistic.')


def _declared_defaults(command) -> dict:
    """A typer command's parameters at the defaults its options declare (what the CLI passes when they are
    not given), so a call from Python cannot miss an option added later."""
    import inspect

    return {name: getattr(p.default, "default", p.default) for name, p in inspect.signature(command).parameters.items()}


def demo(
    out: Path = typer.Option(Path("demo.mp4"), help="Where to write the clip."),
    prompt: str = typer.Option(DEMO_PROMPT, help="What to make."),
    size: str = typer.Option("1280x720", help="WIDTHxHEIGHT."),
    seconds: float = typer.Option(4.0, help="Duration in seconds."),
    seed: int = typer.Option(7, help="Random seed."),
) -> None:
    """Generate a short clip with picture and sound from the shipped model and print where it is."""
    generate(**{**_declared_defaults(generate), "prompt": prompt, "out": out, "seconds": seconds, "size": size,
                "seed": seed})
    typer.echo(f"demo clip: {out.resolve()}")
    typer.echo(f"prompt: {prompt}")


def train(
    config: str = typer.Option(..., help="Training recipe (train/config.py TRAIN_PRESETS): tiny, small-cpu, small-cpu-continue, small-cpu-distill, small-gpu, small-gpu-2x, small-gpu-continue, small-gpu-topup, small-gpu-moving, base-gpu."),
    out: Path = typer.Option(Path("runs/default"), help="Run directory (resumes when it holds a state)."),
    device: str = typer.Option("auto", help="auto | cpu | cuda"),
    data: str = typer.Option(None, help="world | shards:DIR | folder:DIR (mp4 + .txt captions)."),
    stop_after: str = typer.Option(None, help="Stop after this stage (autoencoders)."),
    export: Path = typer.Option(None, help="Also export the final model here in fp16 (for shipping)."),
    init: Path = typer.Option(None, help="Start from this checkpoint's weights (its autoencoders stay frozen unless the recipe retrains them: retrain_autoencoders)."),
) -> None:
    """Train (or resume) the generator; runs under torchrun for several GPUs or processes."""
    import dataclasses

    from phonofilm.train.config import train_preset
    from phonofilm.train.trainer import train as run_training

    with user_errors():
        cfg = train_preset(config)
        if data:
            cfg = dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, source=data))
        if stop_after not in (None, "autoencoders"):
            raise ValueError(f"--stop-after must be 'autoencoders', got {stop_after!r}")
        ckpt = run_training(cfg, out, device, stop_after=stop_after, init=init)
        if export is not None:
            import torch

            from phonofilm.models.system import load_system, save_system

            system, record = load_system(ckpt)
            save_system(export, system, record, dtype=torch.float16)
    typer.echo(f"checkpoint: {ckpt}")
