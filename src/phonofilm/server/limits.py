"""Limits on what clients may send: body size, image pixels, upload duration and streams.

`RequestGuard` is the outermost app layer: it stamps `x-request-id` on every response, refuses bodies
over the limit (by Content-Length, and by counting when there is none) and turns crashes into a 500
envelope. Uploads are decoded only through `phonofilm.media`, which refuses URLs and ffmpeg protocols.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import secrets
from pathlib import Path

import numpy as np
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from phonofilm.media import MediaData, decode_image, probe, read_mp4
from phonofilm.server.errors import ApiError, invalid
from phonofilm.server.settings import Settings

log = logging.getLogger("phonofilm.server")
_DATA_URL = re.compile(r"^data:(image/(?:png|jpeg|jpg|webp));base64,(.*)$", re.DOTALL | re.IGNORECASE)


class BodyTooLarge(ApiError):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"Request body too large: at most {limit} bytes are accepted.",
                         code="request_too_large")


class RequestGuard:
    """ASGI middleware: request ids, body size limit, and a 500 envelope instead of a dropped connection."""

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app, self.max_body = app, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = f"req_{secrets.token_hex(16)}"
        started = False

        async def send_stamped(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                MutableHeaders(scope=message).append("x-request-id", request_id)
            await send(message)

        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
            await _send_error(send_stamped, BodyTooLarge(self.max_body))
            return
        received = 0

        async def receive_counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLarge(self.max_body)
            return message

        try:
            await self.app(scope, receive_counted, send_stamped)
        except BodyTooLarge as err:
            if not started:
                await _send_error(send_stamped, err)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if not started:
                await _send_error(send_stamped, ApiError(500, "The server had an error while processing your request."))


async def _send_error(send: Send, err: ApiError) -> None:
    body = json.dumps(
        {"error": {"message": err.message, "type": err.type, "param": err.param, "code": err.code}}
    ).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close")]
    await send({"type": "http.response.start", "status": err.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# --- uploads ----------------------------------------------------------------------------------------


def image_from_reference(image_url: str | None, file_id: str | None, settings: Settings) -> np.ndarray:
    """The image of an `input_reference` object: a base64 data URL (we never fetch URLs)."""
    if file_id is not None:
        raise invalid(
            "input_reference.file_id is not supported by this server: upload the image as multipart "
            "`input_reference`, or pass `image_url` as a base64 data URL.", "input_reference", "unsupported_reference",
        )
    if not image_url:
        raise invalid("input_reference needs `image_url` (a base64 data URL).", "input_reference")
    match = _DATA_URL.match(image_url.strip())
    if match is None:
        raise invalid(
            "input_reference.image_url must be a data URL (data:image/png|jpeg|webp;base64,...); "
            "this server does not fetch remote URLs.", "input_reference", "invalid_image_url",
        )
    try:
        data = base64.b64decode(match.group(2), validate=False)
    except (binascii.Error, ValueError):
        raise invalid("input_reference.image_url holds invalid base64.", "input_reference") from None
    return decode_upload_image(data, settings)


def decode_upload_image(data: bytes, settings: Settings) -> np.ndarray:
    """uint8 [H, W, 3] from JPEG/PNG/WebP bytes, refusing oversize files and decompression bombs."""
    if len(data) > settings.max_upload_bytes:
        raise ApiError(413, f"input_reference is {len(data)} bytes; at most {settings.max_upload_bytes} are accepted.",
                       param="input_reference", code="file_too_large")
    try:
        return decode_image(data, max_pixels=settings.max_image_pixels)
    except ValueError as err:
        raise invalid(f"input_reference could not be used: {err}.", "input_reference", "invalid_image") from None


def check_image_size(image: np.ndarray, size: str) -> None:
    """The reference image must have exactly the requested size (OpenAI's rule and message)."""
    width, height = (int(v) for v in size.split("x"))
    if image.shape[1] != width or image.shape[0] != height:
        raise invalid(
            f"Inpaint image must match the requested width and height (got {image.shape[1]}x{image.shape[0]}, "
            f"requested {size}).", "input_reference", "invalid_image_size",
        )


def check_video_upload(path: Path, param: str, settings: Settings, max_seconds: float,
                       need_audio: bool = False) -> MediaData:
    """Decode an uploaded MP4 under the limits; 400 naming what is wrong."""
    try:
        info = probe(path)
        if info.duration > max_seconds:
            raise ValueError(f"it lasts {info.duration:.1f} s; at most {max_seconds:g} s are accepted")
        if need_audio and not info.has_audio:
            raise ValueError("it has no audio track; a character needs a recording with sound")
        return read_mp4(path, max_frames=int(max_seconds * 60) + 1, max_pixels=settings.max_image_pixels,
                        max_bytes=2 << 30)
    except ValueError as err:
        text = str(err).replace(str(path), "the upload")
        raise invalid(f"'{param}' is not a usable MP4 video: {text}.", param, "invalid_video") from None
