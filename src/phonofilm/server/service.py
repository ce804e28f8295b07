"""What each route does, apart from HTTP: validate values, write job rows, read results.

Every read and write is scoped to the caller's key id; another key's video looks exactly like a
missing one (404).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from phonofilm.media import encode_image
from phonofilm.server import jobs
from phonofilm.server.errors import ApiError, invalid, not_found
from phonofilm.server.keys import Caller, RateLimiter
from phonofilm.server.limits import (
    check_image_size,
    check_video_upload,
    decode_upload_image,
    image_from_reference,
)
from phonofilm.server.schemas import (
    EXTENSION_SECONDS,
    MAX_CHARACTER_NAME,
    MAX_CHARACTERS_PER_VIDEO,
    MAX_TOTAL_SECONDS,
    SECONDS,
    SIZES,
    CharacterObject,
    CreateVideoBody,
    EditBody,
    ExtendBody,
    RemixBody,
    VideoError,
    VideoList,
    VideoObject,
    VideoReference,
    check_model,
    check_prompt,
    check_seconds,
    check_size,
    check_storyboard,
)
from phonofilm.server.settings import Settings
from phonofilm.server.storage import LocalStorage
from phonofilm.server.store import Character, Store, Video
from phonofilm.server.usage import cost

VARIANTS = {"video": ("video/mp4", "mp4"), "thumbnail": ("image/webp", "webp"), "spritesheet": ("image/jpeg", "jpg")}


@dataclass(frozen=True)
class Context:
    """What the routes share: settings, the job store, file storage and the rate limiter."""

    settings: Settings
    store: Store
    storage: LocalStorage
    limiter: RateLimiter


def to_object(video: Video) -> VideoObject:
    """The API's view of a job row."""
    error = VideoError(code=video.error_code, message=video.error_message or "") if video.error_code else None
    return VideoObject(
        id=video.id, model=video.model, status=video.status, progress=int(video.progress),
        created_at=int(video.created_at),
        completed_at=None if video.completed_at is None else int(video.completed_at),
        expires_at=None if video.expires_at is None else int(video.expires_at),
        prompt=video.prompt, size=video.size, seconds=video.seconds,
        remixed_from_video_id=video.remixed_from_video_id, error=error,
    )


def _enqueue(ctx: Context, caller: Caller, **fields: object) -> VideoObject:
    now = time.time()
    video = Video(
        id=jobs.new_id("video"), owner=caller.key_id, status=jobs.QUEUED, progress=0, created_at=now,
        attempts=0, outputs={}, character_ids=fields.pop("character_ids", []),
        seed=fields.pop("seed", None) or secrets.randbelow(2**31),
        cost_usd=cost(str(fields["preset"]), str(fields["size"]), float(fields["new_seconds"])),  # type: ignore[arg-type]
        **fields,
    )
    with ctx.store.write() as session:
        session.add(video)
    return to_object(video)


def create_video(ctx: Context, caller: Caller, body: CreateVideoBody) -> VideoObject:
    """Queue a text-to-video (or image-to-video) job."""
    prompt = check_prompt(body.prompt)
    model, preset = check_model(body.model)
    size = check_size(body.size, model, preset)
    seconds = check_seconds(body.seconds, SECONDS[preset], model)
    if body.storyboard is not None:  # stored as its script: the worker reads the shots back from it
        prompt = check_storyboard(body.storyboard, prompt, seconds)
    image_file = None
    if body.input_reference is not None:
        ref = body.input_reference
        if isinstance(ref, bytes):
            image = decode_upload_image(ref, ctx.settings)
        else:
            image = image_from_reference(ref.image_url, ref.file_id, ctx.settings)
        check_image_size(image, size)
        # Stored re-encoded as PNG: the worker never parses client-supplied bytes.
        image_file = ctx.storage.put(encode_image(image, "png"))
    characters = _check_characters(ctx, caller, [c.id for c in body.characters or []])
    return _enqueue(ctx, caller, kind="create", model=model, preset=preset, prompt=prompt, size=size,
                    seconds=str(seconds), new_seconds=float(seconds), image_file_id=image_file,
                    character_ids=characters)


def _check_characters(ctx: Context, caller: Caller, ids: list[str]) -> list[str]:
    if len(ids) > MAX_CHARACTERS_PER_VIDEO:
        raise invalid(f"At most {MAX_CHARACTERS_PER_VIDEO} characters per video, got {len(ids)}.", "characters")
    with ctx.store.read() as session:
        for ident in ids:
            found = session.scalar(select(Character.id).where(Character.id == ident, Character.owner == caller.key_id))
            if found is None:
                raise invalid(f"Character '{ident}' not found.", "characters", "character_not_found")
    return ids


def _owned_video(ctx: Context, caller: Caller, video_id: str) -> Video:
    with ctx.store.read() as session:
        video = session.scalar(
            select(Video).where(Video.id == video_id, Video.owner == caller.key_id, Video.deleted_at.is_(None))
        )
    if video is None:
        raise not_found("Video", video_id)
    return video


def _completed_source(ctx: Context, caller: Caller, video_id: str, param: str) -> tuple[Video, str]:
    """A completed video of the caller and a private copy of its mp4 for the new job."""
    video = _owned_video(ctx, caller, video_id)
    if video.status != jobs.COMPLETED:
        raise ApiError(409, f"Video '{video_id}' is {video.status}; only completed videos can be used here.",
                       param=param, code="video_not_completed")
    try:
        return video, ctx.storage.copy((video.outputs or {})["video"])
    except (KeyError, FileNotFoundError):
        raise ApiError(409, f"Video '{video_id}' has expired; its content is no longer stored.",
                       param=param, code="video_expired") from None


def remix(ctx: Context, caller: Caller, video_id: str, body: RemixBody) -> VideoObject:
    """Queue a re-generation of a completed video under a new prompt (same seed, size and length)."""
    prompt = check_prompt(body.prompt)
    source, copy = _completed_source(ctx, caller, video_id, "video_id")
    return _enqueue(ctx, caller, kind="remix", model=source.model, preset=source.preset, prompt=prompt,
                    size=source.size, seconds=source.seconds, new_seconds=float(source.seconds), seed=source.seed,
                    remixed_from_video_id=source.id, source_video_id=source.id, source_file_id=copy)


def _source(ctx: Context, caller: Caller, video: VideoReference | bytes) -> dict[str, object]:
    """Fields describing an edit/extension source: an existing video by id, or an uploaded mp4."""
    if isinstance(video, VideoReference):
        source, copy = _completed_source(ctx, caller, video.id, "video")
        return {"model": source.model, "preset": source.preset, "size": source.size, "seed": source.seed,
                "source_seconds": int(source.seconds), "source_video_id": source.id, "source_file_id": copy}
    file_id, path = ctx.storage.allocate()
    Path(path).write_bytes(video)
    try:
        media = check_video_upload(path, "video", ctx.settings, ctx.settings.max_upload_seconds)
    except ApiError:
        ctx.storage.delete(file_id)
        raise
    width, height = media.frames.shape[2], media.frames.shape[1]
    size = f"{width}x{height}"
    if size not in SIZES["sora-2-pro"]:
        ctx.storage.delete(file_id)
        raise invalid(f"The uploaded video is {size}; supported sizes are {', '.join(SIZES['sora-2-pro'])}.", "video",
                      "invalid_video_size")
    preset = "sora-2" if size in SIZES["sora-2"] else "sora-2-pro"
    return {"model": preset, "preset": preset, "size": size, "seed": None,
            "source_seconds": max(1, round(media.duration)), "source_file_id": file_id}


def edit(ctx: Context, caller: Caller, body: EditBody) -> VideoObject:
    """Queue an edit: the source re-generated under a new prompt, keeping its structure."""
    prompt = check_prompt(body.prompt)
    source = _source(ctx, caller, body.video)
    seconds = source.pop("source_seconds")
    return _enqueue(ctx, caller, kind="edit", prompt=prompt, seconds=str(seconds), new_seconds=float(seconds),  # type: ignore[arg-type]
                    **source)


def extend(ctx: Context, caller: Caller, body: ExtendBody) -> VideoObject:
    """Queue an extension: the source followed by `seconds` newly generated seconds."""
    prompt = check_prompt(body.prompt)
    more = check_seconds(body.seconds, EXTENSION_SECONDS)
    source = _source(ctx, caller, body.video)
    total = int(source.pop("source_seconds")) + more  # type: ignore[call-overload]
    if total > MAX_TOTAL_SECONDS:
        if source.get("source_video_id") is None:
            ctx.storage.delete(str(source["source_file_id"]))
        raise invalid(f"An extension of {more} s would make the video {total} s long; at most "
                      f"{MAX_TOTAL_SECONDS} s are allowed in total.", "seconds", "video_too_long")
    return _enqueue(ctx, caller, kind="extend", prompt=prompt, seconds=str(total), new_seconds=float(more), **source)


def get_video(ctx: Context, caller: Caller, video_id: str) -> VideoObject:
    """One video of the caller."""
    return to_object(_owned_video(ctx, caller, video_id))


def list_videos(ctx: Context, caller: Caller, after: str | None, limit: int, order: str) -> VideoList:
    """A page of the caller's videos, newest first by default, after the video `after`."""
    query = select(Video).where(Video.owner == caller.key_id, Video.deleted_at.is_(None))
    if after:
        with ctx.store.read() as session:
            cursor = session.scalar(select(Video.seq).where(Video.id == after, Video.owner == caller.key_id))
        if cursor is None:
            raise invalid(f"'after' names no video of yours: '{after}'.", "after", "invalid_cursor")
        query = query.where(Video.seq < cursor if order == "desc" else Video.seq > cursor)
    query = query.order_by(Video.seq.desc() if order == "desc" else Video.seq.asc()).limit(limit + 1)
    with ctx.store.read() as session:
        rows = list(session.scalars(query))
    page = [to_object(v) for v in rows[:limit]]
    return VideoList(data=page, first_id=page[0].id if page else None, last_id=page[-1].id if page else None,
                     has_more=len(rows) > limit)


def delete_video(ctx: Context, caller: Caller, video_id: str) -> str:
    """Delete a video (cancelling it if unfinished) and its stored content."""
    outputs = jobs.delete(ctx.store, caller.key_id, video_id)
    if outputs is None:
        raise not_found("Video", video_id)
    for file_id in outputs.values():
        ctx.storage.delete(file_id)
    return video_id


def content(ctx: Context, caller: Caller, video_id: str, variant: str) -> tuple[Path, str, str]:
    """(path, media type, file extension) of a completed video's asset."""
    video = _owned_video(ctx, caller, video_id)
    if video.status != jobs.COMPLETED:
        raise ApiError(409, f"Video '{video_id}' is {video.status}; content is available once it is completed.",
                       param="video_id", code="video_not_ready")
    media_type, extension = VARIANTS[variant]
    try:
        return ctx.storage.path((video.outputs or {})[variant]), media_type, extension
    except (KeyError, FileNotFoundError):
        raise ApiError(404, f"The content of video '{video_id}' has expired and was deleted.",
                       param="video_id", code="video_expired") from None


def create_character(ctx: Context, caller: Caller, name: str, video: bytes) -> CharacterObject:
    """Store a short recording (picture and sound) as a character for cameo use."""
    if not name.strip() or len(name) > MAX_CHARACTER_NAME:
        raise invalid(f"'name' must be 1-{MAX_CHARACTER_NAME} characters, got {len(name)}.", "name")
    file_id, path = ctx.storage.allocate()
    Path(path).write_bytes(video)
    try:
        check_video_upload(path, "video", ctx.settings, ctx.settings.max_character_seconds, need_audio=True)
    except ApiError:
        ctx.storage.delete(file_id)
        raise
    character = Character(id=jobs.new_id("char"), owner=caller.key_id, name=name, file_id=file_id,
                          created_at=time.time())
    with ctx.store.write() as session:
        session.add(character)
    return CharacterObject(id=character.id, name=name, created_at=int(character.created_at))


def get_character(ctx: Context, caller: Caller, character_id: str) -> CharacterObject:
    """One character of the caller."""
    with ctx.store.read() as session:
        character = session.scalar(
            select(Character).where(Character.id == character_id, Character.owner == caller.key_id)
        )
    if character is None:
        raise not_found("Character", character_id)
    return CharacterObject(id=character.id, name=character.name, created_at=int(character.created_at))
