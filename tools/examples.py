"""README examples: one clip per capability from the shipped model, each as a contact sheet + its command.

Runs `phonofilm generate` exactly as printed in docs/examples.md, decodes the mp4 back and draws frames
across time over the clip's sound envelope (docs/img/examples/NAME.jpg). Inputs the commands use
(a first frame, a cameo recording, a storyboard) are made from the world into docs/examples/.

Usage: python tools/examples.py [--only NAME ...] [--checkpoint DIR]
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

INPUTS = Path("docs/examples")
IMAGES = Path("docs/img/examples")
SHEET_W = 960  # pixels across, 6 frames

EXAMPLES: dict[str, tuple[str, list[str]]] = {
    "text-to-video": ("Text to video with sound", [
        'A red rubber ball is dropped onto a wooden floor and bounces with a dull thud. Pip, a round green '
        'creature, says, "Watch this!" Realistic.', "--seconds", "4", "--seed", "7"]),
    "image-to-video": ("Image to video: the first frame is given", [
        "A blue metal cube slides across a concrete floor in a park. Birdsong fills the air.",
        "--image", str(INPUTS / "first-frame.png"), "--seconds", "4", "--seed", "3"]),
    "multi-shot": ("Multi-shot prompt: cuts where the script says", [
        'An anime scene in an empty hall on a parquet floor. A yellow ball bounces. Shot 1: a wide shot of '
        'the hall. Shot 2 (2.0 s): a close-up of the ball.', "--seconds", "4", "--seed", "5"]),
    "storyboard": ("Storyboard file: shots with their own prompts and lengths", [
        "A cinematic scene in a room on a wooden floor. Quiet room tone.",
        "--storyboard", str(INPUTS / "storyboard.json"), "--seed", "11"]),
    "cameo": ("Cameo: this subject's look and voice, cast by name", [
        'Mira stands in a park on a grassy lawn. Mira says, "Hello there, my friend."',
        "--cameo", f"Mira={INPUTS / 'mira.mp4'}", "--seconds", "4", "--seed", "2"]),
    "long-30s": ("A 30-second video: chunked, each window continuing the last", [
        "A realistic scene on a wooden floor in a room. A red ball and a green ball bounce. Rain patters "
        "outside.", "--seconds", "30", "--seed", "9"]),
    "pro-1080p": ("sora-2-pro at 1920x1080", [
        "A glass tank of water stands in a hall. A wooden block falls into the water with a splash. "
        "Cinematic.", "--preset", "sora-2-pro", "--size", "1920x1080", "--seconds", "4", "--seed", "4"]),
}


def make_inputs() -> None:
    """The files the commands read: a world first frame, a world cameo recording, a storyboard."""
    from phonofilm.media import encode_image, write_mp4
    from phonofilm.world.cameo import make_recording
    from phonofilm.world.make import make_clip_from_seed

    INPUTS.mkdir(parents=True, exist_ok=True)
    if not (INPUTS / "first-frame.png").exists():
        clip = make_clip_from_seed(31, 1.0, 256, 144, 16.0, style="realistic")
        (INPUTS / "first-frame.png").write_bytes(encode_image(clip.frames[0]))
    if not (INPUTS / "mira.mp4").exists():
        rec = make_recording(2, 1, 256, 144)
        write_mp4(INPUTS / "mira.mp4", rec.frames, rec.fps, rec.audio, rec.sample_rate)
    if not (INPUTS / "storyboard.json").exists():
        board = {"shots": [
            {"prompt": "A wide shot: a red ball rolls across the floor.", "seconds": 2.0},
            {"prompt": "A close-up: the red ball hits a wooden block with a knock.", "seconds": 2.0},
            {"prompt": "A wide shot again: the block tips over.", "seconds": 2.0}]}
        (INPUTS / "storyboard.json").write_text(json.dumps(board, indent=2) + "\n")


def contact_sheet(mp4: Path, title: str, out: Path) -> None:
    """Six frames across the clip above the sound's envelope (dB), with a title bar."""
    from phonofilm.media import read_mp4

    media = read_mp4(mp4)
    picks = np.linspace(0, len(media.frames) - 1, 6).round().astype(int)
    tile_w = SHEET_W // 6
    tile_h = round(tile_w * media.frames.shape[1] / media.frames.shape[2])
    tiles = [Image.fromarray(media.frames[i]).resize((tile_w, tile_h), Image.BILINEAR) for i in picks]
    sheet = Image.new("RGB", (SHEET_W, 22 + tile_h + 60), (20, 20, 24))
    for k, tile in enumerate(tiles):
        sheet.paste(tile, (k * tile_w, 22))
    draw = ImageDraw.Draw(sheet)
    draw.text((6, 5), f"{title}  ({media.duration:.1f} s)", fill=(235, 235, 235))
    if media.audio is not None and media.audio.size:
        mono = np.abs(media.audio).mean(0)
        bins = np.array_split(mono, SHEET_W)
        db = np.array([20 * np.log10(max(float(b.max()) if b.size else 0.0, 1e-4)) for b in bins])
        top = 22 + tile_h + 4
        for x, v in enumerate(db):
            h = int(np.clip((v + 60) / 60, 0, 1) * 52)
            draw.line([(x, top + 52 - h), (x, top + 52)], fill=(120, 200, 255))
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out, quality=88)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--work", type=Path, default=Path("/tmp/phonofilm-examples"))
    args = ap.parse_args()
    make_inputs()
    args.work.mkdir(parents=True, exist_ok=True)
    for name, (title, cli) in EXAMPLES.items():
        if args.only and name not in args.only:
            continue
        mp4 = args.work / f"{name}.mp4"
        run = [sys.executable, "-m", "phonofilm", "generate", *cli, "--out", str(mp4)]
        if args.checkpoint:
            run += ["--checkpoint", args.checkpoint]
        start = time.time()
        proc = subprocess.run(run, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"{name} failed:\n{proc.stderr[-2000:]}")
        contact_sheet(mp4, title, IMAGES / f"{name}.jpg")
        print(f"{name}: {time.time() - start:.1f} s", flush=True)
    write_page()


def write_page() -> None:
    """docs/examples.md: every example whose sheet exists, with the exact command."""
    lines = ["# Examples", "", "Made by the shipped model with the commands shown (`python tools/examples.py`",
             "regenerates every one). Each sheet: six frames across the clip over its sound envelope (0 to −60 dB).",
             "Speed is measured by `benchmarks/generate.py` (docs/model-card.md), not here.", ""]
    for name, (title, cli) in EXAMPLES.items():
        if (IMAGES / f"{name}.jpg").exists():
            cmd = ["phonofilm", "generate", *cli, "--out", f"{name}.mp4"]
            lines += [f"## {title}", "", "```bash", shlex.join(cmd), "```", "",
                      f"![{name}](img/examples/{name}.jpg)", ""]
    Path("docs/examples.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
