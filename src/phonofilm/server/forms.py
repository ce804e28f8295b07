"""Request bodies: multipart (SDK >= 2.27), JSON (older SDKs) or urlencoded, into one nested dict.

Multipart keys use the SDK's bracket form: `input_reference[image_url]`, `video[id]`,
`characters[][id]`, `storyboard[shots][][prompt]` (the n-th repetition of a key fills list element n). Uploaded files become bytes.
Pydantic then validates the dict against the route's body model.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile
from starlette.requests import Request

from phonofilm.server.errors import ApiError, invalid
from phonofilm.server.limits import BodyTooLarge

MAX_FIELDS = 64
MAX_FILES = 4
_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)((?:\[[A-Za-z0-9_]*\])*)$")
Body = TypeVar("Body", bound=BaseModel)


async def read_body(request: Request, max_upload_bytes: int) -> dict[str, Any]:
    """The request body as a dict, whatever its encoding; 400/413/415 with a reason when it is not one."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return await _read_form(request, max_upload_bytes)
    if content_type in ("application/json", ""):
        raw = await request.body()
        try:
            body = json.loads(raw) if raw.strip() else {}
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise invalid(f"We could not parse the JSON body of your request: {err}.", None, "invalid_json") from None
        if not isinstance(body, dict):
            raise invalid("The request body must be a JSON object.", None, "invalid_json")
        return body
    raise ApiError(
        415, f"Unsupported Content-Type {content_type!r}: send multipart/form-data or application/json.",
        code="unsupported_media_type",
    )


async def _read_form(request: Request, max_upload_bytes: int) -> dict[str, Any]:
    header = request.headers.get("content-type", "")
    if header.lower().startswith("multipart/"):
        # The parser quietly drops a cut-off last part; a body must end with its closing boundary.
        boundary = re.search(r'boundary="?([^";]+)"?', header)
        raw = await request.body()  # cached: form() below parses these same bytes
        if boundary is None or not raw.rstrip(b"\r\n").endswith(b"--" + boundary.group(1).encode() + b"--"):
            raise invalid("Malformed multipart body: it is cut off or lacks its closing boundary.", None,
                          "invalid_multipart")
    try:
        form = await request.form(max_files=MAX_FILES, max_fields=MAX_FIELDS, max_part_size=1 << 20)
    except BodyTooLarge:
        raise
    except Exception as err:  # python-multipart / starlette report malformed bodies in several ways
        detail = getattr(err, "detail", None) or str(err) or type(err).__name__
        raise invalid(f"Malformed multipart body: {detail}.", None, "invalid_multipart") from None
    out: dict[str, Any] = {}
    counts: Counter[str] = Counter()
    try:
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read(max_upload_bytes + 1)
                if len(data) > max_upload_bytes:
                    raise ApiError(413, f"Uploaded file '{key}' is larger than {max_upload_bytes} bytes.",
                                   param=key, code="file_too_large")
                value = data
            _assign(out, key, value, counts)
    finally:
        await form.close()
    return out


def _assign(out: dict[str, Any], key: str, value: Any, counts: Counter[str]) -> None:
    """Place `value` at bracketed `key` inside `out`: `a[b]`, `a[]`, `a[][b]`, `a[b][][c]`.

    In a list of objects, the n-th occurrence of a key fills the n-th element, so `characters[][id]`
    and the SDK's grouped `storyboard[shots][][prompt]` … `storyboard[shots][][seconds]` both work.
    """
    match = _KEY.match(key)
    if match is None:
        raise invalid(f"Unrecognized request argument supplied: {key}", key, "unknown_parameter")
    name, rest = match.group(1), re.findall(r"\[([A-Za-z0-9_]*)\]", match.group(2))
    if not rest:
        if name in out:
            raise invalid(f"Duplicate field '{name}' in the form.", name, "duplicate_parameter")
        out[name] = value
        return
    path = [name, *rest]
    if rest.count("") > 1 or len(rest) > 3:
        raise invalid(f"Field '{key}' does not fit the shape of '{name}'.", name)
    occurrence = counts[key]
    counts[key] += 1
    node: Any = out
    for seg, nxt in itertools.pairwise(path):
        kind = list if nxt == "" else dict
        if seg == "":
            while len(node) <= occurrence:
                node.append(kind())
            child = node[occurrence]
        elif isinstance(node, dict):
            child = node.setdefault(seg, kind())
        else:
            child = None
        if not isinstance(child, kind):
            raise invalid(f"Field '{key}' does not fit the shape of '{name}'.", name)
        node = child
    if path[-1] == "":
        node.append(value)
    elif path[-1] in node:
        raise invalid(f"Field '{key}' does not fit the shape of '{name}'.", name)
    else:
        node[path[-1]] = value


def parse(model: type[Body], body: dict[str, Any]) -> Body:
    """Validate `body` as `model`; the first problem becomes a 400 in OpenAI's words."""
    try:
        return model.model_validate(body)
    except ValidationError as err:
        raise _as_api_error(err) from None


def _as_api_error(err: ValidationError) -> ApiError:
    first = err.errors()[0]
    location = [str(p) for p in first["loc"] if not str(p).startswith(("function-", "union")) and str(p) not in
                ("bytes", "str", "int", "ImageReference", "VideoReference")]
    param = location[0] if location else None
    dotted = ".".join(location) or "body"
    kind = first["type"]
    if kind == "extra_forbidden":
        return invalid(f"Unrecognized request argument supplied: {dotted}", dotted, "unknown_parameter")
    if kind == "missing":
        return invalid(f"Missing required parameter: '{dotted}'.", param, "missing_required_parameter")
    return invalid(f"Invalid type for '{dotted}': {first['msg']}.", param, "invalid_type")
