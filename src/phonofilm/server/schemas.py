"""The API's vocabulary and wire types, matching the `openai` SDK's `types/video*.py` field for field.

Request bodies are validated in two steps: pydantic checks shapes and types (unknown fields are an
error, as OpenAI answered "Unrecognized request argument supplied"), then `check_*` functions check
values against the tables below and say what is allowed.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from phonofilm.server.errors import invalid

# Client-facing model names -> our preset (what the generator and the price list know).
MODELS: dict[str, str] = {
    "sora-2": "sora-2",
    "sora-2-2025-10-06": "sora-2",
    "sora-2-2025-12-08": "sora-2",
    "sora-2-pro": "sora-2-pro",
    "sora-2-pro-2025-10-06": "sora-2-pro",
    "standard": "sora-2",  # phonofilm's own variant names
    "hd": "sora-2-pro",
    "pro": "sora-2-pro",
}
SIZES: dict[str, tuple[str, ...]] = {
    "sora-2": ("720x1280", "1280x720"),
    "sora-2-pro": ("720x1280", "1280x720", "1024x1792", "1792x1024", "1920x1080", "1080x1920"),
}
SECONDS: dict[str, tuple[int, ...]] = {
    "sora-2": (4, 8, 12),
    "sora-2-pro": (4, 8, 12, 15, 16, 20, 25, 30, 45, 60, 90),
}
EXTENSION_SECONDS = (4, 8, 12, 16, 20)
MAX_TOTAL_SECONDS = 120
DEFAULT_MODEL, DEFAULT_SIZE, DEFAULT_SECONDS = "sora-2", "720x1280", "4"
MAX_PROMPT_CHARS = 32_000
MAX_CHARACTERS_PER_VIDEO = 2
MAX_CHARACTER_NAME = 80

_STRICT = ConfigDict(extra="forbid")


# --- request bodies (after multipart/JSON decoding; uploads arrive as bytes) -------------------------


class ImageReference(BaseModel):
    """`input_reference` as a reference object: a base64 data URL or a file id."""

    model_config = _STRICT
    image_url: StrictStr | None = None
    file_id: StrictStr | None = None


class VideoReference(BaseModel):
    """A reference to an existing video of the caller."""

    model_config = _STRICT
    id: StrictStr


class CharacterReference(BaseModel):
    model_config = _STRICT
    id: StrictStr


class CreateVideoBody(BaseModel):
    model_config = _STRICT
    prompt: StrictStr
    model: StrictStr | None = None
    seconds: StrictStr | StrictInt | None = None
    size: StrictStr | None = None
    input_reference: ImageReference | bytes | None = None
    characters: list[CharacterReference] | None = None
    # phonofilm extension (SDK: extra_body={"storyboard": {...}}): timed shots, checked by `check_storyboard`
    storyboard: dict[str, Any] | StrictStr | None = None


class RemixBody(BaseModel):
    model_config = _STRICT
    prompt: StrictStr


class EditBody(BaseModel):
    model_config = _STRICT
    prompt: StrictStr
    video: VideoReference | bytes


class ExtendBody(BaseModel):
    model_config = _STRICT
    prompt: StrictStr
    seconds: StrictStr | StrictInt
    video: VideoReference | bytes


class CharacterBody(BaseModel):
    model_config = _STRICT
    name: StrictStr
    video: bytes


# --- responses ------------------------------------------------------------------------------------


class VideoError(BaseModel):
    code: str
    message: str


class VideoObject(BaseModel):
    """The SDK's `Video`: every field always present, nulls explicit."""

    id: str
    object: Literal["video"] = "video"
    model: str
    status: Literal["queued", "in_progress", "completed", "failed"]
    progress: int
    created_at: int
    completed_at: int | None
    expires_at: int | None
    prompt: str | None
    size: str
    seconds: str
    remixed_from_video_id: str | None
    error: VideoError | None


class VideoList(BaseModel):
    object: Literal["list"] = "list"
    data: list[VideoObject]
    first_id: str | None
    last_id: str | None
    has_more: bool


class VideoDeleted(BaseModel):
    id: str
    object: Literal["video.deleted"] = "video.deleted"
    deleted: bool = True


class CharacterObject(BaseModel):
    """The SDK's `VideoCreateCharacterResponse` / `VideoGetCharacterResponse`."""

    id: str
    object: Literal["character"] = "character"
    name: str
    created_at: int


class UsageLine(BaseModel):
    model: str
    size: str
    videos: int
    seconds: float
    cost_usd: float


class Usage(BaseModel):
    object: Literal["usage"] = "usage"
    key_id: str
    videos: int
    seconds: float
    cost_usd: float
    by_model: list[UsageLine] = Field(default_factory=list)


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None
    code: str | None


class ErrorResponse(BaseModel):
    error: ErrorDetail


# --- value checks -----------------------------------------------------------------------------------


def supported(values: tuple[Any, ...]) -> str:
    """'4', '8', and '12' — how OpenAI listed allowed values."""
    quoted = [f"'{v}'" for v in values]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + f", and {quoted[-1]}"


def check_prompt(prompt: str, param: str = "prompt") -> str:
    """1-32000 characters, not only whitespace."""
    if not prompt.strip():
        raise invalid(f"'{param}' must not be empty.", param, "empty_prompt")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise invalid(
            f"'{param}' is too long: {len(prompt)} characters, at most {MAX_PROMPT_CHARS} are allowed.",
            param, "string_above_max_length",
        )
    return prompt


def check_model(model: str | None) -> tuple[str, str]:
    """(name as given, preset)."""
    name = model or DEFAULT_MODEL
    if name not in MODELS:
        raise invalid(f"Invalid value: '{name}'. Supported values are: {supported(tuple(MODELS))}.", "model")
    return name, MODELS[name]


def check_size(size: str | None, model: str, preset: str) -> str:
    """One of the sizes the model renders."""
    value = size or DEFAULT_SIZE
    if value not in SIZES[preset]:
        raise invalid(
            f"Invalid value: '{value}'. Supported values for model '{model}' are: {supported(SIZES[preset])}.",
            "size",
        )
    return value


def check_storyboard(storyboard: dict[str, Any] | str, prompt: str, seconds: int) -> str:
    """The storyboard as the world-style script the model reads ("… Shot 2 (2.5 s): …"), which is what
    the job stores as its prompt; `prompt` is the scene description unless the storyboard has its own."""
    from phonofilm.pipeline.storyboard import StoryboardError, storyboard_from_json

    try:
        board = storyboard_from_json(storyboard, float(seconds))
    except StoryboardError as err:
        raise invalid(f"Invalid 'storyboard': {err}.", "storyboard", "invalid_storyboard") from None
    if not board.preamble and prompt.strip():
        board = type(board)(board.shots, prompt.strip())
    return check_prompt(board.script(), "storyboard")


def check_seconds(seconds: str | int | None, allowed: tuple[int, ...], model: str | None = None) -> int:
    """An allowed whole number of seconds, given as a string ("4") or, from older clients, a number."""
    value = str(DEFAULT_SECONDS if seconds is None else seconds).strip()
    if not value.isdigit() or int(value) not in allowed:
        scope = f" for model '{model}'" if model else ""
        raise invalid(f"Invalid value: '{value}'. Supported values{scope} are: {supported(allowed)}.", "seconds")
    return int(value)
