"""Helpers shared by CLI commands: parsing sizes, turning library errors into one-line messages."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


class UserError(Exception):
    """An error caused by the user's input; printed as one line, exit status 2."""


def parse_size(text: str) -> tuple[int, int]:
    """'1280x720' → (1280, 720), with a clear error otherwise."""
    parts = text.lower().replace("×", "x").split("x")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise UserError(f"--size must look like WIDTHxHEIGHT (e.g. 1280x720), got {text!r}")
    return int(parts[0]), int(parts[1])


def parse_guidance(text: str | None) -> tuple[float, float] | None:
    """'3,2' → (3.0, 2.0): video and audio guidance scales; None stays None (the preset's)."""
    if text is None:
        return None
    parts = text.split(",")
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) != 2:
        raise UserError(f"--guidance must be two numbers VIDEO,AUDIO (e.g. 3,2), got {text!r}")
    return values[0], values[1]


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Re-raise ValueError/FileNotFoundError from the library as UserError."""
    try:
        yield
    except (ValueError, FileNotFoundError, KeyError) as e:
        msg = e.args[0] if e.args else str(e)
        raise UserError(str(msg)) from None
