"""Natural-language captions of scenes: every fact stated, each in one of several phrasings.

`caption(scene, events, seed)` names each object's colour, material, shape and action, the sound it
makes (from its material, and from the contact events when given: backboard, rim, splash, sinking or
floating), the setting and floor, the ambience, the style, the characters by name and look, who says
what (in double quotes), and for multi-shot scenes a "Shot N:" script. The seed (default: the scene's)
picks phrasings, clause order and optional adjectives; `parse_prompt` reads all of it back.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from phonofilm.world import state
from phonofilm.world.placement import half_extents, relative_density
from phonofilm.world.prompt import PromptTarget, parse_prompt
from phonofilm.world.scene import Character, Scene, SceneObject, Shot
from phonofilm.world.state import ContactEvent
from phonofilm.world.vocab import (
    AMBIENCE_PHRASES,
    BODY_WORDS,
    CREATURE_NOUNS,
    FLOOR_PHRASES,
    FRAMING_PHRASES,
    INDOOR_PLACES,
    MATERIAL_ADJECTIVES,
    MATERIAL_NOUNS,
    MATERIAL_SOUNDS,
    OUTDOOR_PLACES,
    SHAPE_NOUNS,
    SIZE_WORDS,
    STYLE_PREFIXES,
    STYLE_SUFFIXES,
)

__all__ = ["PromptTarget", "caption", "parse_prompt"]

FILLERS = {"metal": ("shiny", "polished"), "glass": ("shiny", "smooth"), "wood": ("smooth", "painted"),
           "rubber": ("bouncy", "soft")}  # fmt: skip
ACTIVE = {  # "someone <verb> <object> <rest>"
    "dropped": ("someone drops {np} from above", "a hand lets go of {np} high above the {floor}"),
    "thrown": ("someone throws {np} through the air", "someone tosses {np} across the scene"),
    "rolled": ("someone rolls {np} across the {floor}", "someone rolls {np} along the {floor}"),
    "pushed": ("someone pushes {np} across the {floor}", "someone gives {np} a shove along the {floor}"),
}
PASSIVE = {  # "<object> <phrase>"
    "dropped": ("is dropped from above", "falls from high up", "is let go from a height", "drops from above"),
    "thrown": ("is thrown through the air", "is tossed across the scene", "is hurled through the air",
               "flies through the air after a throw"),
    "rolled": ("rolls across the {floor}", "is rolled along the {floor}", "rolls along the {floor}"),
    "pushed": ("is pushed across the {floor}", "slides across the {floor} after a push",
               "is shoved along the {floor}"),
}  # fmt: skip
AT_HOOP = ("is thrown toward the basketball hoop", "is tossed at the hoop", "is thrown up at the hoop")
INTO_TANK = ("is dropped into the water tank", "falls into the tank of water", "drops into the tank")
CONNECTORS = ("", "", "Then ", "Next, ", "After that, ", "Meanwhile, ")


def caption(scene: Scene, events: Sequence[ContactEvent] = (), seed: int | None = None) -> str:
    """A varied natural-language description of `scene` (and of `events`, when the scene was simulated)."""
    rng = np.random.default_rng([(scene.seed if seed is None else seed) & 0xFFFFFFFF, 0xCA7])
    style_first = bool(rng.random() < 0.6)
    intro = _intro(rng, scene, style_first)
    chars = [_character_sentence(rng, c, scene) for c in scene.characters]
    objs = _object_sentences(rng, scene, tuple(events))
    lines = _dialogue_sentences(rng, scene)
    amb = [_sentence(_pick(rng, AMBIENCE_PHRASES[scene.ambience]))]
    order = int(rng.integers(4))
    blocks = [
        [*intro, *amb, *chars, *objs, *lines],
        [*intro, *chars, *objs, *lines, *amb],
        [*intro, *objs, *chars, *lines, *amb],
        [*amb, *intro, *chars, *lines, *objs],
    ][order]
    if not style_first:
        blocks.append(_sentence(f"the whole clip is {_pick(rng, STYLE_SUFFIXES[scene.style])}"))
    if len(scene.shots) > 1:
        return _with_script(rng, scene, blocks)
    return " ".join(blocks)


def _pick(rng: np.random.Generator, options: Sequence[str]) -> str:
    return options[int(rng.integers(len(options)))]


def _sentence(text: str) -> str:
    text = text.strip()
    return text[0].upper() + text[1:] + ("" if text[-1] in '.!?"' else ".")


def _article(words: str) -> str:
    return ("an " if words[:1] in "aeiou" else "a ") + words


def _floor_noun(scene: Scene) -> str:
    if scene.stage.floor == "grass":
        return "grass"
    return "ground" if scene.stage.setting == "outdoor" else "floor"


def _side(x: float, width: float) -> str:
    return "on the left" if x < width / 3 else "on the right" if x > 2 * width / 3 else "in the middle"


# --- setting --------------------------------------------------------------------------------------


def _intro(rng: np.random.Generator, scene: Scene, style_first: bool) -> list[str]:
    """Style (when first), place, floor, and the hoop and tank if there are any."""
    stage = scene.stage
    place = _pick(rng, INDOOR_PLACES if stage.setting == "indoor" else OUTDOOR_PLACES)
    floor = _pick(rng, FLOOR_PHRASES[stage.floor])
    where = _pick(rng, (f"{place}, on {floor}", f"{place} on {floor}", f"on {floor} {place}"))
    if style_first:
        style = _pick(rng, STYLE_PREFIXES[scene.style])
        out = [_pick(rng, (f"{style}. {_sentence(where)}", f"{style}, {where}.", f"{style}: {where}."))]
    else:
        out = [_sentence(_pick(rng, (where, f"the scene takes place {where}", f"a scene {where}")))]
    if stage.hoop is not None:
        side = "right" if stage.hoop.side > 0 else "left"
        mount = f"on the {side} wall" if stage.setting == "indoor" else f"on a post on the {side}"
        out.append(_sentence(_pick(rng, (f"a basketball hoop hangs {mount}",
                                         f"there is a basketball hoop {mount}"))))  # fmt: skip
    if stage.tank is not None:
        pos = _side((stage.tank.x_min + stage.tank.x_max) / 2, stage.width)
        out.append(_sentence(_pick(rng, (f"a glass tank of water stands {pos}",
                                         f"a water tank with glass walls sits {pos}"))))  # fmt: skip
    return out


# --- characters and dialogue ----------------------------------------------------------------------


def _look(rng: np.random.Generator, c: Character) -> str:
    """ "a round red creature with white spots" and its variants."""
    body, noun = _pick(rng, BODY_WORDS[c.body]), _pick(rng, CREATURE_NOUNS)
    mark = {"spots": "spotted", "stripes": "striped"}.get(c.pattern)
    if mark is None:
        return _article(f"{_pick(rng, ('', 'plain '))}{body} {c.color} {noun}")
    if rng.random() < 0.5:
        return _article(
            f"{body} {c.color} {noun} {_pick(rng, ('with', 'covered in'))} {c.pattern_color} {c.pattern}"
        )
    return _article(f"{c.pattern_color}-{mark} {body} {c.color} {noun}")


def _character_sentence(rng: np.random.Generator, c: Character, scene: Scene) -> str:
    look, pos = _look(rng, c), _side(c.x, scene.stage.width)
    there = pos.replace("on the ", "the ").replace("in the ", "the ")
    return _sentence(_pick(rng, (
        f"{c.name}, {look}, stands {pos}",
        f"{pos} stands {c.name}, {look}",
        f"{look} named {c.name} watches from {there}",
        f"{c.name} ({look}) waits {pos}",
    )))  # fmt: skip


def _dialogue_sentences(rng: np.random.Generator, scene: Scene) -> list[str]:
    """'Pip says, "Watch this!"' and its variants, one per line, in order of time."""
    out = []
    prev = None
    for line in sorted(scene.dialogue, key=lambda ln: ln.start):
        name = scene.body(line.character).name
        verbs = {"!": ("shouts", "exclaims", "says"), "?": ("asks", "says")}.get(
            line.text[-1], ("says", "remarks")
        )
        if prev == line.character:
            verbs = ("adds", "continues")
        elif prev is not None:
            verbs = ("replies", "answers", *verbs)
        verb, quote = _pick(rng, verbs), f'"{line.text}"'
        lead = "then " if prev is not None and rng.random() < 0.5 else ""
        forms = [f"{lead}{name} {verb}, {quote}", f"{lead}{name}: {quote}"]
        if line.text[-1] in "!?":  # '"Nice shot!" shouts Bo.' reads well; '"Fine." Bo says.' does not
            forms += [f"{quote} {verb} {name}.", f"{quote} {name} {verb}."]
        out.append(_sentence(_pick(rng, forms)))
        prev = line.character
    return out


# --- objects ----------------------------------------------------------------------------------------


def _noun_phrase(rng: np.random.Generator, o: SceneObject) -> str:
    """An indefinite description naming colour, material and shape, e.g. "a small metallic red sphere"."""
    noun, mat = _pick(rng, SHAPE_NOUNS[o.shape]), _pick(rng, MATERIAL_ADJECTIVES[o.material])
    extent = max(half_extents(o.shape, o.size))
    size = _pick(rng, SIZE_WORDS["small"]) + " " if extent < 0.21 else ""
    size = _pick(rng, SIZE_WORDS["large"]) + " " if extent > 0.3 else size
    size = size if rng.random() < 0.6 else ""
    form = int(rng.integers(4))
    if form == 0:
        return _article(f"{size}{o.color} {mat} {noun}")
    if form == 1:
        return _article(f"{size}{mat} {o.color} {noun}")
    if form == 2:
        return _article(f"{size}{o.color} {noun} made of {_pick(rng, MATERIAL_NOUNS[o.material])}")
    return _article(f"{_pick(rng, FILLERS[o.material])} {o.color} {mat} {noun}")


def reference(o: SceneObject, scene: Scene, rng: np.random.Generator | None = None) -> str:
    """A definite description that singles `o` out among the scene's objects: "the blue cube"."""
    noun = _pick(rng, SHAPE_NOUNS[o.shape]) if rng is not None else o.shape
    same = [p for p in scene.objects if p.color == o.color and p.shape == o.shape]
    if len(same) > 1:
        return f"the {o.color} {MATERIAL_ADJECTIVES[o.material][0]} {noun}"
    return f"the {o.color} {noun}"


def _main_clause(rng: np.random.Generator, o: SceneObject, scene: Scene) -> str:
    np_, floor = _noun_phrase(rng, o), _floor_noun(scene)
    hoop, tank = scene.stage.hoop, scene.stage.tank
    if o.action == "thrown" and hoop is not None and o.vx * hoop.side > 0 and rng.random() < 0.8:
        return f"{np_} {_pick(rng, AT_HOOP)}"
    if o.action == "dropped" and tank is not None and tank.x_min < o.x < tank.x_max and rng.random() < 0.8:
        return f"{np_} {_pick(rng, INTO_TANK)}"
    if rng.random() < 0.3:
        return _pick(rng, ACTIVE[o.action]).format(np=np_, floor=floor)
    return f"{np_} {_pick(rng, PASSIVE[o.action]).format(floor=floor)}"


def _event_clauses(
    rng: np.random.Generator, o: SceneObject, scene: Scene, events: tuple[ContactEvent, ...], known: set[str]
) -> list[str]:
    """What happened to `o`, in order of first occurrence: backboard, rim, splash, walls, other objects, floor."""
    floor = _floor_noun(scene)
    clauses: dict[str, str] = {}
    floor_hits = 0
    for e in sorted(events, key=lambda ev: ev.t):
        if o.id not in (e.a, e.b):
            continue
        other = e.b if e.a == o.id else e.a
        if e.kind == "splash" or other == state.WATER:
            rho = relative_density(o.material)
            sink = "floats" if rho < 1.0 else "slowly sinks" if rho < 1.5 else "sinks to the bottom"
            clauses.setdefault("water", _pick(rng, (f"splashes into the water and {sink}",
                                                    f"hits the water with a splash and {sink}")))  # fmt: skip
        elif other == state.BACKBOARD:
            clauses.setdefault(
                "board", _pick(rng, ("bounces off the backboard", "hits the backboard and bounces off"))
            )
        elif other == state.RIM:
            clauses.setdefault("rim", _pick(rng, ("clanks off the rim", "hits the rim")))
        elif other in (state.WALL_LEFT, state.WALL_RIGHT):
            clauses.setdefault("wall", _pick(rng, ("bangs into the wall", "hits the wall")))
        elif other == state.TANK_WALL:
            clauses.setdefault("tank", "knocks against the glass of the tank")
        elif other == state.FLOOR and e.speed > 0.3:
            floor_hits += 1
        elif other in known and other != o.id:
            clauses.setdefault(other, f"knocks into {reference(scene.body(other), scene)}")  # type: ignore[arg-type]
    out = list(clauses.values())[:3]
    if floor_hits == 1:
        out.append(f"lands on the {floor}")
    elif floor_hits > 1:
        bounces = {2: "once", 3: "twice"}.get(floor_hits, "a few times")
        verb = "bounces" if o.shape == "ball" else "clatters"
        out.append(f"{verb} {bounces} on the {floor}" if verb == "bounces" else f"clatters onto the {floor}")
    return out


def _object_sentences(rng: np.random.Generator, scene: Scene, events: tuple[ContactEvent, ...]) -> list[str]:
    """One sentence per object, in order of release: what is done to it, what it hits, how it sounds."""
    out: list[str] = []
    known: set[str] = set()
    for i, o in enumerate(sorted(scene.objects, key=lambda ob: (ob.release, ob.id))):
        main = _main_clause(rng, o, scene)
        happened = _event_clauses(rng, o, scene, events, known)
        if not happened and o.action in ("dropped", "thrown") and not events:
            happened = [f"lands on the {_floor_noun(scene)}"] if "tank" not in main else []
        sound = _pick(rng, MATERIAL_SOUNDS[o.material])
        what = ", then ".join(happened)
        form = int(rng.integers(3))
        if form == 0 and what:
            text = f"{main}, and it {what} with {sound}"
        elif form == 1 or (form == 0 and not what):
            text = f"{main}. " + _sentence(
                f"it {what}, making {sound}" if what else f"it makes {sound} on impact"
            )
        else:
            text = f"{sound} rings out as {main}" + (f", and then it {what}" if what else "")
        lead = _pick(rng, CONNECTORS) if i else ""
        out.append(_sentence(lead + text if lead else text))
        known.add(o.id)
    return out


# --- shots ------------------------------------------------------------------------------------------


def _shot_text(rng: np.random.Generator, shot: Shot, scene: Scene, index: int) -> str:
    if index == 0 and shot.framing == "wide":
        return _pick(rng, FRAMING_PHRASES["wide"])
    if shot.framing == "close" and shot.target is not None:
        body = scene.body(shot.target)
        target = body.name if isinstance(body, Character) else reference(body, scene, rng)
        return _pick(rng, FRAMING_PHRASES["close"]).format(target=target)
    return _pick(rng, FRAMING_PHRASES["wide_again" if shot.framing == "wide" else shot.framing])


def _with_script(rng: np.random.Generator, scene: Scene, blocks: list[str]) -> str:
    """A "Shot 1: ... Shot 2: ..." script: after the description, or with it inside the first shot."""
    timed = rng.random() < 0.4
    heads = [f"Shot {i + 1}" + (f" ({s.start:.1f} s)" if timed else "") for i, s in enumerate(scene.shots)]
    texts = [_sentence(_shot_text(rng, s, scene, i)) for i, s in enumerate(scene.shots)]
    shots = [f"{h}: {t}" for h, t in zip(heads, texts, strict=True)]
    if rng.random() < 0.5:
        return " ".join([*blocks, *shots])
    return " ".join([shots[0], *blocks, *shots[1:]])
