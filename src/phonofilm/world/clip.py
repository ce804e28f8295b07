"""The world's output: a `Clip` (pixels + sound + caption) with its complete `GroundTruth`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from phonofilm.world.scene import Scene
from phonofilm.world.state import ContactEvent


@dataclass(frozen=True)
class UtteranceTruth:
    character: str
    text: str
    start: float
    end: float
    phonemes: tuple[tuple[float, float, str], ...]


@dataclass(frozen=True)
class GroundTruth:
    """Everything the evaluation needs to score a clip without re-running the world.

    Per-frame arrays are indexed by frame (T). Boxes are pixel coordinates (x0, y0, x1, y1) in the
    rendered frame, NaN where the body is not on screen. camera: (x0, y0, x1, y1, mirrored) — the world
    rectangle (metres) shown by each frame and whether the shot views the stage from the other side.
    """

    scene: Scene
    events: tuple[ContactEvent, ...]
    utterances: tuple[UtteranceTruth, ...]
    boxes: dict[str, np.ndarray]  # id -> [T, 4] float32
    mouth: dict[str, np.ndarray]  # character id -> [T] float32 in [0, 1]
    shot: np.ndarray  # [T] int32: shot index per frame
    camera: np.ndarray  # [T, 5] float32
    width: int
    height: int
    fps: float
    sample_rate: int

    def to_dict(self) -> dict[str, Any]:
        def arr(a: np.ndarray) -> list:
            return np.where(np.isnan(a), None, np.round(a, 4)).tolist() if a.dtype.kind == "f" else a.tolist()

        return {
            "scene": self.scene.to_dict(),
            "events": [e.__dict__ for e in self.events],
            "utterances": [
                {**u.__dict__, "phonemes": [list(p) for p in u.phonemes]} for u in self.utterances
            ],
            "boxes": {k: arr(v) for k, v in self.boxes.items()},
            "mouth": {k: arr(v) for k, v in self.mouth.items()},
            "shot": self.shot.tolist(),
            "camera": arr(self.camera),
            "width": self.width,
            "height": self.height,
            "fps": self.fps,
            "sample_rate": self.sample_rate,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> GroundTruth:
        def arr(v: list) -> np.ndarray:
            return np.array(v, dtype=np.float64).astype(np.float32)  # None -> nan

        return cls(
            scene=Scene.from_dict(d["scene"]),
            events=tuple(ContactEvent(**e) for e in d["events"]),
            utterances=tuple(
                UtteranceTruth(
                    character=u["character"],
                    text=u["text"],
                    start=u["start"],
                    end=u["end"],
                    phonemes=tuple((float(a), float(b), str(p)) for a, b, p in u["phonemes"]),
                )
                for u in d["utterances"]
            ),
            boxes={k: arr(v).reshape(-1, 4) for k, v in d["boxes"].items()},
            mouth={k: arr(v) for k, v in d["mouth"].items()},
            shot=np.asarray(d["shot"], dtype=np.int32),
            camera=arr(d["camera"]).reshape(-1, 5),
            width=int(d["width"]),
            height=int(d["height"]),
            fps=float(d["fps"]),
            sample_rate=int(d["sample_rate"]),
        )

    @classmethod
    def from_json(cls, s: str) -> GroundTruth:
        return cls.from_dict(json.loads(s))


@dataclass(frozen=True)
class Clip:
    """frames: uint8 [T, H, W, 3]; audio: float32 [channels, samples] in [-1, 1]."""

    frames: np.ndarray
    audio: np.ndarray
    fps: float
    sample_rate: int
    caption: str
    truth: GroundTruth | None = None

    @property
    def duration(self) -> float:
        return self.frames.shape[0] / self.fps

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return int(self.frames.shape[2]), int(self.frames.shape[1])
