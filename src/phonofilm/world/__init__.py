"""Procedural audiovisual world with ground truth: scenes, physics, rendering, sound, captions."""
