"""The renderer: any size and aspect from one scene, three distinct styles, exact cuts, truthful boxes.

Simulations and utterances are built by hand (straight or parabolic paths, a synthetic mouth curve),
so these tests pin the renderer's own behaviour, not the physics engine's or the speech synthesiser's.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from phonofilm.world.render import RenderResult, render_frames, validate_size
from phonofilm.world.scene import COLORS, Character, Hoop, Scene, SceneObject, Shot, Stage, Voice, WaterTank
from phonofilm.world.state import Simulation, Utterance

Path = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]


def make_sim(scene: Scene, paths: dict[str, Path] | None = None, rate: float = 120.0) -> Simulation:
    """A simulation on a uniform grid: given paths (t -> x, y, angle), others resting at their start."""
    t = np.arange(round(scene.duration * rate) + 1) / rate
    pos, angle, vel = {}, {}, {}
    for o in scene.objects:
        if paths and o.id in paths:
            x, y, a = paths[o.id](t)
        else:
            x, y, a = np.full_like(t, o.x), np.full_like(t, o.y), np.zeros_like(t)
        pos[o.id] = np.stack([x, y], axis=-1)
        angle[o.id] = a
        vel[o.id] = np.gradient(pos[o.id], t, axis=0)
    return Simulation(t=t, pos=pos, angle=angle, vel=vel, rate=rate)


def utterance(character: str, start: float, mouth: np.ndarray, rate: float = 100.0) -> Utterance:
    """A line whose mouth curve is given directly (no speech synthesis involved)."""
    end = start + len(mouth) / rate
    return Utterance(character, "la la", start, end, (), mouth.astype(np.float32),
                     np.zeros(int((end - start) * 16000), np.float32), 16000, rate)  # fmt: skip


def ball(
    id_: str, color: str, x: float, y: float, size: float = 0.15, material: str = "rubber"
) -> SceneObject:
    return SceneObject(id_, "ball", color, material, size, "dropped", x, y)  # type: ignore[arg-type]


def creature(id_: str, x: float, body: str = "blob", height: float = 1.0, facing: int = 1) -> Character:
    return Character(id_, "Pip", 3, body, "purple", "spots", "yellow", Voice(), x, height, facing)  # type: ignore[arg-type]


def stage_scene(style: str = "realistic", shots: tuple[Shot, ...] = (Shot(0.0),), duration: float = 2.0,
                **stage_kw) -> Scene:  # fmt: skip
    """A busy stage: four objects of different shapes and two characters."""
    objects = (
        ball("red", "red", 2.0, 0.15),
        SceneObject("cube", "cube", "blue", "metal", 0.15, "pushed", 5.0, 0.15),
        SceneObject("brick", "brick", "yellow", "wood", 0.1, "pushed", 3.2, 0.1),
        ball("glassy", "green", 6.5, 1.5, material="glass"),
    )
    chars = (creature("pip", 4.1), creature("bo", 1.0, "tall", 1.2, facing=1))
    stage = Stage(**stage_kw)
    return Scene(seed=7, duration=duration, stage=stage, objects=objects, characters=chars,
                 style=style, shots=shots)  # type: ignore[arg-type]  # fmt: skip


def render(scene: Scene, w: int = 128, h: int = 72, fps: float = 16.0, paths=None, utts=()) -> RenderResult:
    return render_frames(scene, make_sim(scene, paths), tuple(utts), w, h, fps)


def box_pixels(frame: np.ndarray, box: np.ndarray) -> np.ndarray:
    x0, y0, x1, y1 = (round(float(v)) for v in box)
    return frame[y0:y1, x0:x1].reshape(-1, 3).astype(np.float32)


def hue(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(hue in degrees, saturation) of colours [..., 3]."""
    rgb = np.asarray(rgb, np.float32)
    mx, mn = rgb.max(axis=-1), rgb.min(axis=-1)
    c = np.maximum(mx - mn, 1e-6)
    r, g, b = np.moveaxis(rgb, -1, 0)
    h = np.where(mx == r, (g - b) / c % 6, np.where(mx == g, (b - r) / c + 2, (r - g) / c + 4)) * 60.0
    return h, (mx - mn) / np.maximum(mx, 1e-6)


def near(pixels: np.ndarray, color: str) -> np.ndarray:
    """Pixels a colour detector would call `color`: same hue (±20°), clearly saturated."""
    h, s = hue(pixels)
    h0, _ = hue(np.array(COLORS[color], np.float32))
    dh = np.abs((h - h0 + 180.0) % 360.0 - 180.0)
    return (dh < 20.0) & (s > 0.35) & (pixels.max(axis=-1) > 50)


# --- sizes and outputs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(128, 72), (72, 128), (96, 96), (168, 72), (100, 75)])
def test_outputs_have_documented_shapes_and_types(size: tuple[int, int]) -> None:
    w, h = size
    scene = stage_scene(duration=1.25)
    res = render(scene, w, h, fps=10.0, utts=(utterance("pip", 0.2, np.linspace(0, 1, 50)),))
    t = round(1.25 * 10.0)
    assert res.frames.shape == (t, h, w, 3) and res.frames.dtype == np.uint8
    assert set(res.boxes) == {"red", "cube", "brick", "glassy", "pip", "bo"}
    for b in res.boxes.values():
        assert b.shape == (t, 4) and b.dtype == np.float32
    assert set(res.mouth) == {"pip", "bo"}
    assert all(
        m.shape == (t,) and m.dtype == np.float32 and 0 <= m.min() <= m.max() <= 1 for m in res.mouth.values()
    )
    assert res.mouth["pip"].max() > 0.5 and res.mouth["bo"].max() == 0.0
    assert res.shot.shape == (t,) and res.shot.dtype == np.int32
    assert res.camera.shape == (t, 5) and res.camera.dtype == np.float32
    x0, y0, x1, y1 = res.camera[0, :4]
    assert (x1 - x0) / (y1 - y0) == pytest.approx(w / h, rel=1e-3)


def test_portrait_frames_the_action_and_keeps_it_in_view() -> None:
    scene = Scene(
        seed=1, duration=1.0, objects=(ball("red", "red", 6.0, 0.15), ball("b2", "blue", 6.8, 0.15))
    )
    res = render(scene, 72, 128)
    x0, _, x1, _ = res.camera[0, :4]
    assert x1 - x0 < 4.0, "a 9:16 window should be narrower than the 8 m stage"
    assert x0 < 6.0 - 0.15 and x1 > 6.8 + 0.15, "both balls should be inside the portrait window"
    assert not np.isnan(res.boxes["red"]).any() and not np.isnan(res.boxes["b2"]).any()


def test_same_composition_at_training_and_larger_size() -> None:
    scene = stage_scene()
    small = render(scene, 128, 72)
    large = render(scene, 640, 360)
    np.testing.assert_allclose(small.camera, large.camera, atol=0.02)  # metres; snapping is sub-pixel
    down = large.frames.reshape(-1, 72, 5, 128, 5, 3).astype(np.float32).mean(axis=(2, 4))
    diff = np.abs(down - small.frames.astype(np.float32))
    assert diff.mean() < 4.0, f"downsampled large render differs by {diff.mean():.1f} levels on average"
    for key in ("red", "pip"):
        np.testing.assert_allclose(large.boxes[key] / 5.0, small.boxes[key], atol=1.0)


# --- styles ----------------------------------------------------------------------------------------------


def _saturation(img: np.ndarray) -> float:
    f = img.astype(np.float32)
    mx, mn = f.max(axis=-1), f.min(axis=-1)
    return float(((mx - mn) / np.maximum(mx, 1.0)).mean())


def _sharpness(img: np.ndarray) -> float:
    """High-frequency over low-frequency energy: drops when an image is blurred."""
    g = img.astype(np.float32).mean(axis=-1)
    lap = np.abs(4 * g[1:-1, 1:-1] - g[:-2, 1:-1] - g[2:, 1:-1] - g[1:-1, :-2] - g[1:-1, 2:]).mean()
    grad = np.abs(np.diff(g, axis=0)).mean() + np.abs(np.diff(g, axis=1)).mean()
    return float(lap / max(grad, 1e-6))


def _picture(frame: np.ndarray) -> np.ndarray:
    """The frame without letterbox bars."""
    return frame[frame.max(axis=(1, 2)) >= 8]


def test_three_styles_differ_measurably() -> None:
    hoop = Hoop(7.6, 2.3, 1.0, 2.6, 0.45)
    frames = {
        s: render(stage_scene(s, hoop=hoop), 256, 144).frames[4] for s in ("realistic", "cinematic", "anime")
    }
    black_rows = {s: 144 - len(_picture(f)) for s, f in frames.items()}
    assert black_rows["cinematic"] >= 0.2 * 144 and black_rows["realistic"] == black_rows["anime"] == 0
    assert _saturation(frames["anime"]) > 1.3 * _saturation(frames["realistic"])
    dark = {s: float((f.max(axis=-1) < 60).mean()) for s, f in frames.items() if s != "cinematic"}
    assert dark["anime"] > 3 * dark["realistic"] + 0.005, f"anime outlines: dark fractions {dark}"
    cin = _picture(frames["cinematic"]).astype(np.float32).mean(axis=-1)
    h, w = cin.shape
    assert cin[:8, :8].mean() < 0.8 * cin[h // 2 - 4 : h // 2 + 4, w // 2 - 4 : w // 2 + 4].mean(), "vignette"
    # Shallow depth of field: the back wall of an empty room is softer in the cinematic look.
    empty = {s: _picture(render(Scene(seed=7, duration=0.25, style=s), 256, 144).frames[0])
             for s in ("realistic", "cinematic")}  # fmt: skip
    upper = {s: f[: len(f) // 2] for s, f in empty.items()}
    assert _sharpness(upper["cinematic"]) < 0.7 * _sharpness(upper["realistic"]), {
        s: _sharpness(f) for s, f in upper.items()
    }


def test_cinematic_boxes_stay_inside_the_letterbox() -> None:
    scene = stage_scene("cinematic", shots=(Shot(0.0),))
    res = render(scene, 128, 72, paths={"glassy": lambda t: (1.0 + t, 4.8 + 0 * t, 0 * t)})
    top = int((res.frames[0].max(axis=(1, 2)) < 8).argmin())
    for b in res.boxes.values():
        ok = ~np.isnan(b[:, 1])
        assert (b[ok, 1] >= top - 1e-4).all() and (b[ok, 3] <= 72 - top + 1e-4).all()


# --- shots ------------------------------------------------------------------------------------------------


def test_cuts_happen_exactly_at_shot_starts_and_colour_persists() -> None:
    shots = (Shot(0.0), Shot(1.0, "close", "pip"), Shot(2.0, "reverse"))
    scene = stage_scene(shots=shots, duration=3.0)
    res = render(scene, 128, 72, fps=16.0)
    assert res.shot.tolist() == [0] * 16 + [1] * 16 + [2] * 16
    f = res.frames.astype(np.float32)
    step = np.abs(np.diff(f, axis=0)).mean(axis=(1, 2, 3))  # step[i]: frame i -> i + 1
    cuts = step[[15, 31]]
    others = np.delete(step, [15, 31])
    assert cuts.min() > 4 * others.max(), f"cut steps {cuts}, largest other step {others.max():.2f}"
    assert res.camera[:16, 4].max() == 0 and res.camera[32:, 4].min() == 1  # reverse is mirrored
    for i in (10, 40):  # the red ball rests on the floor: red in the wide and in the reverse shot
        assert near(box_pixels(res.frames[i], res.boxes["red"][i]), "red").mean() > 0.5
    assert near(box_pixels(res.frames[20], res.boxes["pip"][20]), "purple").mean() > 0.4


def test_close_shot_follows_a_moving_object() -> None:
    scene = stage_scene(shots=(Shot(0.0, "close", "red"),), duration=2.0)
    res = render(scene, 128, 72, paths={"red": lambda t: (1.0 + 2.5 * t, 0.15 + 0 * t, -t / 0.15 * 2.5)})
    centres = 0.5 * (res.boxes["red"][:, 0] + res.boxes["red"][:, 2])
    assert not np.isnan(centres).any()
    assert np.abs(centres - 64).max() < 20, "the followed ball should stay near the middle"
    assert res.camera[-1, 0] - res.camera[0, 0] > 3.0, "the window should travel with the ball"


def test_reverse_shot_mirrors_the_stage() -> None:
    wide = render(stage_scene(shots=(Shot(0.0),)), 160, 90)
    rev = render(stage_scene(shots=(Shot(0.0, "reverse"),)), 160, 90)
    cx = {k: 0.5 * (r.boxes[k][0, 0] + r.boxes[k][0, 2]) for k in ("red", "cube") for r in (wide,)}
    rx = {k: 0.5 * (rev.boxes[k][0, 0] + rev.boxes[k][0, 2]) for k in ("red", "cube")}
    assert cx["red"] < cx["cube"] and rx["red"] > rx["cube"]
    x0, _, x1, _, mirrored = rev.camera[0]
    assert mirrored == 1.0
    assert rx["red"] == pytest.approx(160 * (x1 - 2.0) / (x1 - x0), abs=0.6)
    assert near(box_pixels(rev.frames[0], rev.boxes["cube"][0]), "blue").mean() > 0.5


# --- ground truth matches the picture --------------------------------------------------------------------


@pytest.mark.parametrize("style", ["realistic", "cinematic", "anime"])
def test_box_of_a_ball_on_a_plain_stage_is_mostly_its_colour(style: str) -> None:
    for color in ("red", "blue", "yellow"):
        scene = Scene(seed=2, duration=0.25, objects=(ball("b", color, 4.0, 1.2, size=0.5),), style=style)
        res = render(scene, 160, 90)
        share = near(box_pixels(res.frames[0], res.boxes["b"][0]), color).mean()
        assert share > 0.6, (
            f"{style} {color} ball: only {share:.2f} of its box is {color}"
        )  # a disc fills 0.785


def test_boxes_follow_objects_and_go_nan_off_screen() -> None:
    scene = stage_scene(duration=2.0)
    res = render(
        scene, 160, 90, paths={"red": lambda t: (2.0 + 6.0 * t, 2.0 + 0 * t, 0 * t)}
    )  # above the rest
    b = res.boxes["red"]
    visible = ~np.isnan(b[:, 0])
    assert visible[0] and not visible[-1], "the ball leaves the stage on the right"
    assert np.all(np.diff(b[visible, 0]) >= -1e-3)
    for i in np.flatnonzero(visible)[::4]:
        if b[i, 2] - b[i, 0] > 4:  # fully on screen
            assert near(box_pixels(res.frames[i], b[i]), "red").mean() > 0.5


def test_objects_under_water_are_tinted_blue() -> None:
    obj = (ball("b", "white", 4.0, 0.3, size=0.25),)
    tank = WaterTank(3.0, 5.0, 1.2, 0.9)
    dry = render(Scene(seed=3, duration=0.5, objects=obj), 160, 90)
    wet = render(Scene(seed=3, duration=0.5, objects=obj, stage=Stage(tank=tank)), 160, 90)
    d, w = (box_pixels(r.frames[0], r.boxes["b"][0]).mean(axis=0) for r in (dry, wet))
    assert w[2] - w[0] > d[2] - d[0] + 20, f"dry {d}, under water {w}"


def test_mouth_openness_changes_the_mouth_region() -> None:
    scene = Scene(
        seed=4, duration=1.0, characters=(creature("pip", 4.0),), shots=(Shot(0.0, "close", "pip"),)
    )
    shut, wide_open = (render(scene, 160, 90, fps=10.0, utts=(utterance("pip", 0.0, np.full(100, m)),))
                       for m in (0.0, 1.0))  # fmt: skip
    i = 5  # same frame time: same idle bob and blink, only the mouth differs
    assert shut.mouth["pip"][i] == 0.0 and wide_open.mouth["pip"][i] == 1.0
    x0, y0, x1, y1 = shut.boxes["pip"][i]
    rows = slice(int(y0 + 0.5 * (y1 - y0)), int(y0 + 0.85 * (y1 - y0)))  # below the eyes, above the feet
    cols = slice(int(x0), int(x1))

    def dark(res: RenderResult) -> int:
        return int((res.frames[i, rows, cols].max(axis=-1) < 90).sum())

    assert dark(wide_open) > dark(shut) + 20, (dark(shut), dark(wide_open))
    diff = np.abs(wide_open.frames[i].astype(np.float32) - shut.frames[i].astype(np.float32)).sum(axis=-1)
    assert diff[rows, cols].sum() > 0.97 * diff.sum(), "only the mouth region should change"


# --- validation and determinism --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("w", "h"), [(0, 72), (15, 72), (128, 8), (4097, 100), (4096, 2160), (128.0, 72), (True, 72), (-16, 72)]
)
def test_validate_size_rejects_impossible_sizes(w, h) -> None:
    with pytest.raises(ValueError, match=r"width|height|pixels"):
        validate_size(w, h)


@pytest.mark.parametrize(("w", "h"), [(16, 16), (128, 72), (3840, 2160), (2160, 3840), (4096, 1024)])
def test_validate_size_accepts_sensible_sizes(w: int, h: int) -> None:
    validate_size(w, h)


@pytest.mark.parametrize("fps", [0.0, -5.0, float("nan")])
def test_bad_frame_rate_is_rejected(fps: float) -> None:
    scene = Scene(seed=0, duration=1.0)
    with pytest.raises(ValueError, match="fps"):
        render_frames(scene, make_sim(scene), (), 64, 36, fps)


def test_unknown_close_up_target_is_a_clear_error() -> None:
    scene = Scene(seed=0, duration=1.0, shots=(Shot(0.0, "close", "ghost"),))
    with pytest.raises(ValueError, match="ghost"):
        render_frames(scene, make_sim(scene), (), 64, 36, 8.0)


def test_same_inputs_give_identical_bytes() -> None:
    shots = (Shot(0.0), Shot(0.6, "close", "red"), Shot(1.2, "reverse"))
    scene = stage_scene(
        "cinematic", shots=shots, setting="outdoor", floor="grass", tank=WaterTank(5.6, 6.9, 1.0, 0.7)
    )
    scene = Scene(**{**scene.__dict__, "ambience": "rain"})
    paths = {"red": lambda t: (2.0 + t, 0.15 + 2 * t - 4.9 * t * t + 0.5, 3 * t)}
    utts = (utterance("pip", 0.3, np.abs(np.sin(np.linspace(0, 9, 80)))),)
    a = render(scene, 96, 54, paths=paths, utts=utts)
    b = render(scene, 96, 54, paths=paths, utts=utts)
    assert a.frames.tobytes() == b.frames.tobytes()
    for k in a.boxes:
        np.testing.assert_array_equal(a.boxes[k], b.boxes[k])
    c = render(Scene(**{**scene.__dict__, "seed": 8}), 96, 54, paths=paths, utts=utts)
    assert a.frames.tobytes() != c.frames.tobytes()


def test_renders_a_simulated_scene_from_the_physics_engine() -> None:
    physics = pytest.importorskip("phonofilm.world.physics")
    sampler = pytest.importorskip("phonofilm.world.sampler")
    for seed, style in ((1, "realistic"), (2, "cinematic"), (3, "anime")):
        scene = sampler.sample_scene(seed, duration=1.0, style=style)
        res = render_frames(scene, physics.simulate(scene), (), 128, 72, 16.0)
        assert res.frames.shape == (16, 72, 128, 3)
        assert res.frames.std() > 5.0
