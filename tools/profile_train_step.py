"""Where one transformer training step spends its time on a GPU (synthetic batch, no rendering).

Usage: python tools/profile_train_step.py [--batch 48] [--frames 65] [--steps 6]
Prints wall time of each part (VAE encode, text encode, transformer forward+backward+step, EMA) and the
top CUDA kernels of a profiled step.
"""

from __future__ import annotations

import argparse
import time

import torch


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--batch", type=int, nargs="+", default=[48])
    p.add_argument("--no-table", action="store_true", help="skip the profiler tables")
    p.add_argument("--frames", type=int, default=65)
    p.add_argument("--steps", type=int, default=6)
    p.add_argument("--device", default="cuda")
    a = p.parse_args()
    from phonofilm.models.system import System, system_preset
    from phonofilm.models.text import TextEncoder
    from phonofilm.train.config import train_preset

    dev = torch.device(a.device)
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    cfg = train_preset("small-gpu-continue")
    system = System(system_preset("small")).to(dev)
    for m in (system.video_vae, system.audio_vae, system.vocoder):
        m.eval().requires_grad_(False)
    text = TextEncoder(device=a.device, max_tokens=256, cache_size=64)
    opt = torch.optim.AdamW(system.transformer.parameters(), lr=1e-4)
    ema = {k: v.detach().clone().float() for k, v in system.transformer.state_dict().items()}
    gen = torch.Generator(dev).manual_seed(0)
    t = a.frames
    for b in a.batch:
        run_size(a, b, t, system, text, opt, ema, cfg, gen, dev)


def run_size(a, b, t, system, text, opt, ema, cfg, gen, dev) -> None:
    """Timings (and, unless --no-table, profiler tables) for batch size b of t-frame clips."""
    from phonofilm.train.steps import encode_latents, transformer_step
    from phonofilm.train.trainer import _update_ema

    def batch(i: int) -> dict:
        return {"video": torch.randint(0, 255, (b, t, 72, 128, 3), dtype=torch.uint8),
                "audio": torch.randn(b, 2, t * 1000),
                "captions": [f"A red ball number {i * b + j} bounces on a wooden floor. \"Hello {j}!\" says Pip."
                             for j in range(b)],
                "shots": torch.zeros(b, t, dtype=torch.int64), "cameos": None}

    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)

    def timed(fn, *args):
        sync()
        s = time.time()
        out = fn(*args)
        sync()
        return out, time.time() - s

    for i in range(a.steps):
        bt = batch(i)
        _, te = timed(encode_latents, system, bt, dev)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=dev.type == "cuda"):
            _, tb = timed(encode_latents, system, bt, dev)
        _, tt = timed(text.encode, bt["captions"])
        _, ts = timed(transformer_step, system, system.transformer, text, opt, bt, cfg, gen, dev)
        _, ts2 = timed(transformer_step, system, system.transformer, text, opt, bt, cfg, gen, dev)
        _, tm = timed(_update_ema, ema, system.transformer, 0.998, 100)
        print(f"batch {b} step {i}: vae fp32 {te*1e3:.0f} ms, vae bf16 {tb*1e3:.0f} ms, text {tt*1e3:.0f} ms, "
              f"step(first, encodes) {ts*1e3:.0f} ms, step(echo) {ts2*1e3:.0f} ms, ema {tm*1e3:.0f} ms", flush=True)
    if a.no_table:
        return
    bt = batch(99)
    transformer_step(system, system.transformer, text, opt, bt, cfg, gen, dev)
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        for _ in range(2):
            transformer_step(system, system.transformer, text, opt, bt, cfg, gen, dev)
        sync()
    print(prof.key_averages().table(sort_by="cuda_time_total", row_limit=22, max_name_column_width=60))
    print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=12, max_name_column_width=60))


if __name__ == "__main__":
    main()
