"""Metrics: each a function (clip, target) -> number, with its ideal value documented in its docstring."""
