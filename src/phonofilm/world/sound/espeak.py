"""A deterministic ctypes binding to libespeak-ng (shipped by the `espeakng_loader` wheel).

Out of the box espeak-ng is not reproducible: pitch "flutter" and "roughness" run on global state that
carries over from one message to the next, and breath noise uses an internal random generator. So we
(1) point espeak at a private copy of its data directory whose voice variants end in `flutter 0` and
`roughness 0` (everything else is a symlink to the wheel's data), and (2) reseed its generator before
every message. Then the same (text, voice) gives bit-identical samples in any process, in any order.

The library is loaded on first use, once per process; calls are serialised by a lock because espeak
keeps one global synthesiser. AUDIO_OUTPUT_SYNCHRONOUS starts no threads, so forked workers are safe.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from phonofilm.world.scene import Voice

ESPEAK_RATE_HZ = 22050

# speak_lib.h constants
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_EVENT_PHONEME = 7
(
    _PARAM_RATE,
    _PARAM_VOLUME,
    _PARAM_PITCH,
    _PARAM_RANGE,
    _PARAM_PUNCTUATION,
    _PARAM_CAPITALS,
    _PARAM_WORDGAP,
) = (
    1,
    2,
    3,
    4,
    5,
    6,
    7,
)

# Appended to every voice variant: removes the two sources of cross-message state (see module doc).
_VARIANT_PATCH = b"\n// phonofilm: deterministic synthesis\nflutter 0\nroughness 0\n"
PLAIN_VARIANT = "_plain"  # our variant with no timbre change, used when Voice.variant is ""

RATE_RANGE = (80, 450)  # words per minute, espeak's documented range
PITCH_RANGE = (0, 99)


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    """espeak_EVENT from speak_lib.h."""

    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),  # ms from the start of the message's audio
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


@dataclass(frozen=True)
class EspeakOutput:
    """One synthesized message: int16 samples at 22050 Hz and its phoneme / word events (ms, label)."""

    samples: np.ndarray  # [N] int16, read-only
    sample_rate: int
    phonemes: tuple[tuple[int, str], ...]  # (audio ms, espeak phoneme mnemonic, stress marks kept)
    words: tuple[tuple[int, int, int], ...]  # (audio ms, text position (1-based chars), length in chars)


def _cache_root() -> Path:
    """~/.cache/phonofilm (or $XDG_CACHE_HOME/phonofilm), else a per-user folder in the temp dir."""
    try:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        root = base / "phonofilm"
        root.mkdir(parents=True, exist_ok=True)
        if os.access(root, os.W_OK):
            return root
    except (OSError, RuntimeError):  # no home directory, or a read-only one
        pass
    fallback = Path(tempfile.gettempdir()) / f"phonofilm-{os.getuid()}"
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback


def _build_data_dir(source: Path, target: Path) -> None:
    """Fill `target` with symlinks to `source` and patched copies of the voice variants."""
    for entry in source.iterdir():
        if entry.name != "voices":
            (target / entry.name).symlink_to(entry.resolve())
    voices = target / "voices"
    voices.mkdir()
    for entry in (source / "voices").iterdir():
        if entry.name != "!v":
            (voices / entry.name).symlink_to(entry.resolve())
    variants = voices / "!v"
    variants.mkdir()
    for entry in (source / "voices" / "!v").iterdir():
        if entry.is_file():
            (variants / entry.name).write_bytes(entry.read_bytes() + _VARIANT_PATCH)
    (variants / PLAIN_VARIANT).write_bytes(b"language variant\nname plain\n" + _VARIANT_PATCH)


def deterministic_data_dir(source: Path) -> Path:
    """The patched espeak-ng-data directory for `source`, built once per machine (atomic rename)."""
    key = hashlib.sha1(str(source.resolve()).encode() + _VARIANT_PATCH).hexdigest()[:12]
    root = _cache_root()
    target = root / f"espeak-ng-data-{key}"
    if (target / "phontab").exists():
        return target
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=root))
    try:
        _build_data_dir(source, staging)
        os.rename(staging, target)
    except OSError:
        if not (target / "phontab").exists():  # not simply another process winning the race
            raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


class Espeak:
    """The process's espeak-ng synthesiser. Use `engine()` to get the shared instance."""

    def __init__(self) -> None:
        import espeakng_loader  # deferred: keeps `import phonofilm.world.sound` free of work

        source = Path(espeakng_loader.get_data_path())
        self.variants: frozenset[str] = frozenset(
            p.name for p in (source / "voices" / "!v").iterdir() if p.is_file()
        ) | {PLAIN_VARIANT}
        self._lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self._declare()
        data = deterministic_data_dir(source)
        rate = self._lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, str(data).encode(), _INITIALIZE_PHONEME_EVENTS
        )
        if rate != ESPEAK_RATE_HZ:
            raise RuntimeError(f"espeak_Initialize({data}) returned {rate}; expected {ESPEAK_RATE_HZ} Hz")
        self._lock = threading.Lock()
        # a fork while another thread synthesizes would copy a held lock into the child
        os.register_at_fork(after_in_child=self._new_lock)
        self._chunks: list[np.ndarray] = []
        self._events: list[tuple[int, int, bytes, int, int]] = []
        self._callback = _SynthCallback(self._collect)  # kept alive: espeak holds a raw pointer to it
        self._lib.espeak_SetSynthCallback(self._callback)

    def _new_lock(self) -> None:
        self._lock = threading.Lock()

    def _declare(self) -> None:
        lib = self._lib
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
        lib.espeak_Synth.argtypes = [
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]

    def _collect(self, wav: ctypes._Pointer, n: int, events: ctypes._Pointer) -> int:
        if wav and n > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            e = events[i]
            label = e.id.string if e.type == _EVENT_PHONEME else b""
            self._events.append((e.type, e.audio_position, label, e.text_position, e.length))
            i += 1
        return 0  # 0 = continue synthesis

    def _set_voice(self, voice: Voice) -> None:
        variant = voice.variant or PLAIN_VARIANT
        if variant not in self.variants:
            raise ValueError(
                f"Voice.variant {voice.variant!r} is not an espeak-ng variant; allowed: {sorted(self.variants)}"
            )
        for name, value, (lo, hi) in (
            ("pitch", voice.pitch, PITCH_RANGE),
            ("pitch_range", voice.pitch_range, PITCH_RANGE),
            ("rate", voice.rate, RATE_RANGE),
        ):
            if not lo <= value <= hi:
                raise ValueError(f"Voice.{name}={value} is outside espeak's range [{lo}, {hi}]")
        if self._lib.espeak_SetVoiceByName(f"{voice.base}+{variant}".encode()) != 0:
            raise ValueError(
                f"Voice.base {voice.base!r} is not an espeak-ng voice; use a language voice such as "
                "'en-us', 'en', 'en-gb-scotland', 'en-gb-x-rp', 'en-029'"
            )
        # Set every parameter explicitly: a voice change keeps some of the previous message's values.
        for param, value in (
            (_PARAM_RATE, voice.rate),
            (_PARAM_PITCH, voice.pitch),
            (_PARAM_RANGE, voice.pitch_range),
            (_PARAM_VOLUME, 100),
            (_PARAM_WORDGAP, 0),
            (_PARAM_PUNCTUATION, 0),
            (_PARAM_CAPITALS, 0),
        ):
            self._lib.espeak_SetParameter(param, value, 0)

    def synth(self, text: str, voice: Voice) -> EspeakOutput:
        """Synthesize `text` (plain UTF-8, no SSML) in `voice`."""
        data = text.encode("utf-8")
        if b"\0" in data:
            raise ValueError("dialogue text must not contain NUL characters")
        with self._lock:
            self._chunks, self._events = [], []
            self._lib.espeak_SetSynthCallback(self._callback)  # in case other code in the process replaced it
            self._set_voice(voice)
            self._lib.espeak_ng_SetRandSeed(1)
            status = self._lib.espeak_Synth(
                data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
            )
            chunks, events = self._chunks, self._events
            self._chunks, self._events = [], []
        if status != 0:
            raise RuntimeError(f"espeak_Synth failed with status {status} for text {text!r}")
        samples = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
        samples.setflags(write=False)
        phonemes = tuple(
            (ms, label.decode("utf-8", "replace"))
            for kind, ms, label, _, _ in events
            if kind == _EVENT_PHONEME
        )
        words = tuple((ms, pos, length) for kind, ms, _, pos, length in events if kind == _EVENT_WORD)
        return EspeakOutput(samples, ESPEAK_RATE_HZ, phonemes, words)


@functools.cache
def engine() -> Espeak:
    """The per-process espeak-ng synthesiser, created on first use."""
    return Espeak()
