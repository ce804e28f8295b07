"""Diffusion as pure functions: patchify (latents ↔ tokens), flow (noising, timesteps, shift, loss),
samplers (Euler, Heun, shortcut; one signature) and guidance (per-stream classifier-free guidance)."""
