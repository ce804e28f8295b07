"""Read a caption or a free user prompt back into a structured `PromptTarget`.

Tolerant by design: lower-case, synonyms ("sphere", "steel", "grey"), plurals and counts ("two red
balls"), any word order the captions use. Quoted text is dialogue and is taken out before anything else
is parsed, so a line like "It's raining again." never reads as rain. Prompt adherence is scored
against what this returns, so it must not invent facts: unknown words are skipped, never guessed.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from phonofilm.world.identities import IDENTITY_NAMES
from phonofilm.world.scene import COLORS
from phonofilm.world.vocab import (
    ACTION_WORDS,
    AMBIENCE_TRIGGERS,
    COLOR_SYNONYMS,
    DEFINITE_WORDS,
    FILLER_ADJECTIVES,
    FLOOR_NOUNS,
    FLOOR_TRIGGERS,
    FRAMING_TRIGGERS,
    HOOP_TRIGGERS,
    MATERIAL_ADJECTIVES,
    MATERIAL_NOUNS,
    MATERIAL_SYNONYMS,
    NUMBER_WORDS,
    SETTING_TRIGGERS,
    SHAPE_NOUNS,
    SHAPE_SYNONYMS,
    SIZE_WORDS,
    SOUND_WORDS,
    SPEECH_VERBS,
    STYLE_TRIGGERS,
    TANK_TRIGGERS,
)

_COLOR = {**{c: c for c in COLORS}, **COLOR_SYNONYMS}
_MATERIAL = {
    **{w: m for m, ws in MATERIAL_ADJECTIVES.items() for w in ws},
    **{w: m for m, ws in MATERIAL_NOUNS.items() for w in ws},
    **MATERIAL_SYNONYMS,
}
_SHAPE = {**{w: s for s, ws in SHAPE_NOUNS.items() for w in ws}, **SHAPE_SYNONYMS}
_SHAPE_PLURAL = {w + "s": s for w, s in _SHAPE.items() if w != "die"} | {"dice": "cube"}
_SKIP = {
    *FILLER_ADJECTIVES,
    *(w for ws in SIZE_WORDS.values() for w in ws),
    "bouncy",
    "soft",
    "other",
    "same",
}
_ACTION = {w: a for a, ws in ACTION_WORDS.items() for w in ws}
_NAMES = {n.lower(): n for n in IDENTITY_NAMES}
_NOT_SPEAKERS = {
    "then",
    "he",
    "she",
    "it",
    "they",
    "someone",
    "and",
    "but",
    "who",
    "everyone",
    "we",
    "i",
    "you",
}
_TOKEN = re.compile(r"@?[a-z0-9]+(?:['-][a-z0-9]+)*|[.!?;:,]")
_QUOTE = re.compile(r'"([^"]+)"|“([^”]+)”')
_SHOT_HEAD = re.compile(r"\bshot\s+(\d+)\s*(?:\([^)]*\))?\s*:", re.IGNORECASE)
_SPEECH = "|".join(SPEECH_VERBS)
_BOUNDARY = {".", "!", "?", ";", ":"}


@dataclass(frozen=True)
class ObjectTarget:
    """An object the prompt asks for; None where the prompt does not say."""

    shape: str
    color: str | None = None
    material: str | None = None
    action: str | None = None


@dataclass(frozen=True)
class LineTarget:
    """A quoted line of dialogue and, when the prompt says who, its speaker."""

    text: str
    speaker: str | None = None


@dataclass(frozen=True)
class ShotTarget:
    """One "Shot N:" section: its framing (wide / close / reverse, None if unstated) and its text."""

    framing: str | None
    text: str


@dataclass(frozen=True)
class PromptTarget:
    """Everything a prompt asks for, in the world's vocabulary (what prompt adherence is scored against)."""

    objects: tuple[ObjectTarget, ...] = ()
    sounds: tuple[str, ...] = ()
    ambience: str | None = None
    style: str | None = None
    setting: str | None = None
    floor: str | None = None
    hoop: bool = False
    tank: bool = False
    characters: tuple[str, ...] = ()
    dialogue: tuple[LineTarget, ...] = ()
    shots: tuple[ShotTarget, ...] = ()

    @property
    def counts(self) -> dict[str, int]:
        """How many objects of each shape."""
        return dict(Counter(o.shape for o in self.objects))

    @property
    def n_shots(self) -> int:
        """Number of shots asked for (1 when the prompt has no shot sections)."""
        return max(1, len(self.shots))


def parse_prompt(text: str) -> PromptTarget:
    """Parse a caption or a free prompt into a PromptTarget."""
    dialogue = _dialogue(text)
    plain = _QUOTE.sub(" . ", text)  # quoted speech says nothing about the scene itself
    tokens = _TOKEN.findall(plain.lower())
    speakers = tuple(line.speaker for line in dialogue if line.speaker)
    return PromptTarget(
        objects=_objects(tokens),
        sounds=tuple(dict.fromkeys(SOUND_WORDS[t] for t in tokens if t in SOUND_WORDS)),
        ambience=_first(tokens, AMBIENCE_TRIGGERS),
        style=_first(tokens, STYLE_TRIGGERS),
        setting=_first(tokens, SETTING_TRIGGERS),
        floor=_floor(tokens),
        hoop=_first(tokens, {"hoop": HOOP_TRIGGERS}) is not None,
        tank=_first(tokens, {"tank": TANK_TRIGGERS}) is not None,
        characters=tuple(dict.fromkeys([*_names(tokens), *speakers])),
        dialogue=dialogue,
        shots=_shots(plain),
    )


# --- simple facts -----------------------------------------------------------------------------------


def _find(tokens: list[str], phrase: str) -> int:
    """Index of the first occurrence of `phrase` (one or more words) in `tokens`, or -1."""
    words = phrase.split()
    n = len(words)
    for i in range(len(tokens) - n + 1):
        if tokens[i : i + n] == words:
            return i
    return -1


def _first(tokens: list[str], triggers: dict[str, tuple[str, ...]]) -> str | None:
    """The key whose trigger occurs earliest in `tokens`."""
    hits = [(i, key) for key, words in triggers.items() for w in words if (i := _find(tokens, w)) >= 0]
    return min(hits)[1] if hits else None


def _floor(tokens: list[str]) -> str | None:
    """Floor material: a word that names a floor by itself, or wood/wooden right before a floor noun."""
    for i, t in enumerate(tokens):
        for floor, words in FLOOR_TRIGGERS.items():
            if t in words:
                return floor
        if t in ("wood", "wooden") and i + 1 < len(tokens) and tokens[i + 1] in FLOOR_NOUNS:
            return "wood"
    return None


def _names(tokens: list[str]) -> list[str]:
    """Catalogued identity names and @mentions, in order of first appearance."""
    out = []
    for t in tokens:
        if t.startswith("@"):
            out.append(_NAMES.get(t[1:], t[1:]))
        elif t in _NAMES:
            out.append(_NAMES[t])
    return out


def _shots(text: str) -> tuple[ShotTarget, ...]:
    """ "Shot N:" sections with their framing; failing those, "cut to" boundaries; else none."""
    heads = list(_SHOT_HEAD.finditer(text))
    if heads:
        ends = [h.start() for h in heads[1:]] + [len(text)]
        sections = [text[h.end() : e] for h, e in zip(heads, ends, strict=True)]
    elif re.search(r"\bcut(?:s)? to\b", text, re.IGNORECASE):
        sections = re.split(r"\bcut(?:s)? to\b", text, flags=re.IGNORECASE)
    else:
        return ()
    return tuple(ShotTarget(_first(_TOKEN.findall(s.lower()), FRAMING_TRIGGERS), s.strip()) for s in sections)


# --- dialogue ---------------------------------------------------------------------------------------


def _dialogue(text: str) -> tuple[LineTarget, ...]:
    """Quoted lines, each with the speaker named just before ("Pip says,") or just after ("says Pip")."""
    quotes = list(_QUOTE.finditer(text))
    out = []
    for k, q in enumerate(quotes):
        prev_end = quotes[k - 1].end() if k else 0
        next_start = quotes[k + 1].start() if k + 1 < len(quotes) else len(text)
        before = re.split(r"[.!?;]\s", text[prev_end : q.start()])[-1]
        after = re.split(r"[.!?;]", text[q.end() : next_start])[0]
        speaker = _speaker_before(before) or _speaker_after(after)
        out.append(LineTarget((q.group(1) or q.group(2)).strip(), speaker))
    return tuple(out)


def _as_speaker(word: str | None) -> str | None:
    if not word or word.lower() in _NOT_SPEAKERS:
        return None
    if word.startswith("@"):
        return _NAMES.get(word[1:].lower(), word[1:])
    if word.lower() in _NAMES:
        return _NAMES[word.lower()]
    return word if word[0].isupper() else None  # an unknown capitalised name still counts


def _speaker_before(before: str) -> str | None:
    m = re.search(rf"(@?\w+)\s*(?:\b(?:{_SPEECH})\b)?\s*[,:]?\s*$", before, re.IGNORECASE)
    n = re.search(rf"\b(?:{_SPEECH})\s+(@?\w+)\s*[,:]?\s*$", before, re.IGNORECASE)
    return _as_speaker(n.group(1) if n else None) or _as_speaker(m.group(1) if m else None)


def _speaker_after(after: str) -> str | None:
    m = re.match(rf"\s*,?\s*(?:(?:{_SPEECH})\s+(@?\w+)|(@?\w+)\s+(?:{_SPEECH})\b)", after, re.IGNORECASE)
    return _as_speaker((m.group(1) or m.group(2)) if m else None)


# --- objects ----------------------------------------------------------------------------------------


@dataclass
class _Mention:
    start: int  # first token of the noun phrase (determiner or adjective)
    end: int  # the noun
    sentence: int
    shape: str
    color: str | None
    material: str | None
    definite: bool
    count: int
    objects: tuple[int, ...] = ()  # indices into the parsed objects this mention refers to


def _mentions(tokens: list[str]) -> list[_Mention]:
    """Every noun phrase headed by a shape noun, with colour, material, determiner and count."""
    out = []
    sentence = 0
    for i, t in enumerate(tokens):
        if t in _BOUNDARY:
            sentence += 1
            continue
        shape, plural = (_SHAPE[t], False) if t in _SHAPE else (_SHAPE_PLURAL.get(t), True)
        if shape is None:
            continue
        color = material = None
        definite, count, j = False, 2 if plural else 1, i - 1
        while j >= 0:
            w = tokens[j]
            if w in _COLOR or w in _MATERIAL:
                color = color or _COLOR.get(w)
                material = material or _MATERIAL.get(w)
            elif w in NUMBER_WORDS or w.isdigit():
                count = (int(w) if w.isdigit() else NUMBER_WORDS[w]) if plural else 1
                if w in ("couple", "pair", "few") and j > 0 and tokens[j - 1] == "a":
                    j -= 1
                break
            elif w in DEFINITE_WORDS:
                definite = True
                break
            elif w not in _SKIP:
                j += 1  # not part of the phrase
                break
            j -= 1
        j = max(j, 0)
        # "a red ball made of metal" / "a ball of glass"
        tail = tokens[i + 1 : i + 4]
        if tail[:2] == ["made", "of"] and len(tail) > 2 and tail[2] in _MATERIAL:
            material = material or _MATERIAL[tail[2]]
        elif tail[:1] == ["of"] and len(tail) > 1 and tail[1] in _MATERIAL:
            material = material or _MATERIAL[tail[1]]
        out.append(_Mention(j, i, sentence, shape, color, material, definite, count))
    return out


def _objects(tokens: list[str]) -> tuple[ObjectTarget, ...]:
    """Objects from the mentions: a definite mention ("the red ball") joins the object it matches."""
    objs: list[dict[str, str | None]] = []
    mentions = _mentions(tokens)
    for m in mentions:
        refers_back = m.definite or (m.count == 1 and _bare(tokens, m))
        match = _matching(objs, m) if refers_back else None
        if match is not None:
            objs[match]["color"] = objs[match]["color"] or m.color
            objs[match]["material"] = objs[match]["material"] or m.material
            m.objects = (match,)
            continue
        first = len(objs)
        objs.extend(
            {"shape": m.shape, "color": m.color, "material": m.material, "action": None}
            for _ in range(m.count)
        )
        m.objects = tuple(range(first, len(objs)))
    _bind_actions(tokens, mentions, objs)
    return tuple(ObjectTarget(o["shape"], o["color"], o["material"], o["action"]) for o in objs)  # type: ignore[arg-type]


def _bare(tokens: list[str], m: _Mention) -> bool:
    """A phrase with no determiner at all ("red ball bounces"): it refers back if it can."""
    return tokens[m.start] not in NUMBER_WORDS and tokens[m.start] not in DEFINITE_WORDS


def _matching(objs: list[dict[str, str | None]], m: _Mention) -> int | None:
    """The most recent object this mention can refer to (same shape, no conflicting colour or material)."""
    for k in range(len(objs) - 1, -1, -1):
        o = objs[k]
        if o["shape"] != m.shape:
            continue
        if m.color and o["color"] and m.color != o["color"]:
            continue
        if m.material and o["material"] and m.material != o["material"]:
            continue
        return k
    return None


def _bind_actions(tokens: list[str], mentions: list[_Mention], objs: list[dict[str, str | None]]) -> None:
    """Give each action verb to its object: the phrase right after it ("drops a ball"), else the last before."""
    sentence = 0
    for p, t in enumerate(tokens):
        if t in _BOUNDARY:
            sentence += 1
        if t not in _ACTION:
            continue
        same = [m for m in mentions if m.sentence == sentence]
        after = [m for m in same if p < m.start <= p + 3]
        before = [m for m in same if m.end < p]
        later = [m for m in same if m.start > p]
        targets = after[:1] or _conjoined(tokens, before) or later[:1]
        if not targets and "it" in tokens[max(0, p - 3) : p]:
            targets = [m for m in mentions if m.end < p][-1:]
        for k in (k for m in targets for k in m.objects):
            objs[k]["action"] = objs[k]["action"] or _ACTION[t]


def _conjoined(tokens: list[str], before: list[_Mention]) -> list[_Mention]:
    """The last mention before a verb, with those joined to it by "and" / "," ("a ball and a cube fall")."""
    group = before[-1:]
    for m in reversed(before[:-1]):
        if tokens[m.end + 1 : group[0].start] not in (["and"], [","], [",", "and"]):
            break
        group.insert(0, m)
    return group
