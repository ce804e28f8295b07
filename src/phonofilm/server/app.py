"""HTTP routes of the OpenAI-compatible Videos API (routes only: the work is in `service`)."""

# No `from __future__ import annotations` here: FastAPI must see the real (local) dependency types.


from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel

from phonofilm.server import errors, service
from phonofilm.server.forms import parse, read_body
from phonofilm.server.keys import LOCAL_OWNER, Caller, RateLimiter, authenticate
from phonofilm.server.limits import RequestGuard
from phonofilm.server.schemas import (
    CharacterBody,
    CharacterObject,
    CreateVideoBody,
    EditBody,
    ErrorResponse,
    ExtendBody,
    RemixBody,
    Usage,
    VideoDeleted,
    VideoList,
    VideoObject,
)
from phonofilm.server.settings import Settings
from phonofilm.server.storage import LocalStorage
from phonofilm.server.store import Store
from phonofilm.server.usage import usage_for

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 404, 409, 413, 415, 429)
}


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """Replace pydantic's local `$ref`s by the definitions they name (OpenAPI resolves `#` at its root)."""
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
        return {k: _inline(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def _body_doc(model: type[BaseModel], files: tuple[str, ...] = (), json: bool = True) -> dict[str, Any]:
    """OpenAPI requestBody of a route that takes multipart (with `files` as uploads) and, if `json`, JSON."""
    schema = model.model_json_schema()
    schema = _inline({k: v for k, v in schema.items() if k != "$defs"}, schema.get("$defs", {}))
    binary = {"type": "string", "format": "binary"}
    form = {**schema, "properties": {**schema["properties"], **{f: binary for f in files}}}
    content: dict[str, Any] = {"multipart/form-data": {"schema": form}}
    if json:
        content["application/json"] = {"schema": schema}
    return {"requestBody": {"required": True, "content": content}}


def create_app(settings: Settings, store: Store | None = None) -> FastAPI:
    """The API for `settings` (creating the database tables if needed)."""
    store = store or Store(settings.db_url)
    store.create_all()
    ctx = service.Context(settings, store, LocalStorage(settings.files_dir), RateLimiter())
    app = FastAPI(title="phonofilm Videos API", version="1", description="OpenAI Videos API compatible.")
    app.state.ctx = ctx
    errors.install(app)
    app.add_middleware(RequestGuard, max_body=settings.max_request_bytes)

    def caller(request: Request) -> Caller:
        if settings.auth:
            who = authenticate(store, request.headers.get("authorization"), settings.rate_limit_per_minute)
        else:
            who = Caller(LOCAL_OWNER, settings.rate_limit_per_minute)
        ctx.limiter.check(who)
        return who

    Who = Annotated[Caller, Depends(caller)]

    async def body(request: Request) -> dict[str, Any]:
        return await read_body(request, settings.max_upload_bytes)

    @app.get("/health", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/videos", response_model=VideoObject, responses=ERRORS,
              openapi_extra=_body_doc(CreateVideoBody, ("input_reference",)))
    async def create_video(request: Request, who: Who) -> VideoObject:
        parsed = parse(CreateVideoBody, await body(request))
        return await run_in_threadpool(service.create_video, ctx, who, parsed)

    @app.get("/v1/videos", response_model=VideoList, responses=ERRORS)
    def list_videos(
        who: Who,
        after: str | None = None,
        limit: Annotated[int, Query(ge=0, le=100)] = 20,
        order: Literal["asc", "desc"] = "desc",
    ) -> VideoList:
        return service.list_videos(ctx, who, after, limit, order)

    @app.post("/v1/videos/edits", response_model=VideoObject, responses=ERRORS,
              openapi_extra=_body_doc(EditBody, ("video",)))
    async def edit_video(request: Request, who: Who) -> VideoObject:
        parsed = parse(EditBody, await body(request))
        return await run_in_threadpool(service.edit, ctx, who, parsed)

    @app.post("/v1/videos/extensions", response_model=VideoObject, responses=ERRORS,
              openapi_extra=_body_doc(ExtendBody, ("video",)))
    async def extend_video(request: Request, who: Who) -> VideoObject:
        parsed = parse(ExtendBody, await body(request))
        return await run_in_threadpool(service.extend, ctx, who, parsed)

    @app.post("/v1/videos/characters", response_model=CharacterObject, responses=ERRORS,
              openapi_extra=_body_doc(CharacterBody, ("video",), json=False))
    async def create_character(request: Request, who: Who) -> CharacterObject:
        parsed = parse(CharacterBody, await body(request))
        return await run_in_threadpool(service.create_character, ctx, who, parsed.name, parsed.video)

    @app.get("/v1/videos/characters/{character_id}", response_model=CharacterObject, responses=ERRORS)
    def get_character(character_id: str, who: Who) -> CharacterObject:
        return service.get_character(ctx, who, character_id)

    @app.get("/v1/videos/{video_id}", response_model=VideoObject, responses=ERRORS)
    def retrieve_video(video_id: str, who: Who) -> JSONResponse:
        video = service.get_video(ctx, who, video_id)
        headers = {"openai-poll-after-ms": str(settings.poll_after_ms)} if video.status in ("queued", "in_progress") else {}
        return JSONResponse(video.model_dump(mode="json"), headers=headers)

    @app.delete("/v1/videos/{video_id}", response_model=VideoDeleted, responses=ERRORS)
    def delete_video(video_id: str, who: Who) -> VideoDeleted:
        return VideoDeleted(id=service.delete_video(ctx, who, video_id))

    @app.get("/v1/videos/{video_id}/content", responses={**ERRORS, 200: {"content": {
        "video/mp4": {}, "image/webp": {}, "image/jpeg": {}}}})
    def download_content(
        video_id: str, who: Who, variant: Literal["video", "thumbnail", "spritesheet"] = "video"
    ) -> FileResponse:
        path, media_type, extension = service.content(ctx, who, video_id, variant)
        return FileResponse(path, media_type=media_type, filename=f"{video_id}.{extension}")

    @app.post("/v1/videos/{video_id}/remix", response_model=VideoObject, responses=ERRORS,
              openapi_extra=_body_doc(RemixBody))
    async def remix_video(video_id: str, request: Request, who: Who) -> VideoObject:
        parsed = parse(RemixBody, await body(request))
        return await run_in_threadpool(service.remix, ctx, who, video_id, parsed)

    @app.get("/v1/usage", response_model=Usage, responses=ERRORS)
    def usage(who: Who) -> Usage:
        return usage_for(store, who.key_id)

    return app
