"""Errors in OpenAI's envelope: `{"error": {"message", "type", "param", "code"}}` with the right status."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

_TYPES = {400: "invalid_request_error", 401: "invalid_request_error", 403: "invalid_request_error",
          404: "invalid_request_error", 405: "invalid_request_error", 409: "invalid_request_error",
          413: "invalid_request_error", 415: "invalid_request_error", 422: "invalid_request_error",
          429: "requests", 500: "server_error", 503: "server_error"}


class ApiError(Exception):
    """An error the client should see, with its HTTP status and OpenAI error fields."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.code = status, message, param, code
        self.type = type or _TYPES.get(status, "invalid_request_error")
        self.headers = headers or {}


def invalid(message: str, param: str | None = None, code: str | None = "invalid_value") -> ApiError:
    """400: the request asked for something not allowed."""
    return ApiError(400, message, param=param, code=code)


def not_found(what: str, ident: str) -> ApiError:
    """404 for an id this key cannot see (missing and someone else's look the same)."""
    return ApiError(404, f"{what} with id '{ident}' not found.", param="id", code="not_found")


def envelope(status: int, message: str, type: str, param: str | None, code: str | None,
             headers: dict[str, str] | None = None) -> JSONResponse:
    """The JSON response for an error."""
    body = {"error": {"message": message, "type": type, "param": param, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    """Route our errors, FastAPI's validation errors and Starlette's 404/405 through the envelope.

    Crashes become a 500 envelope in `limits.RequestGuard`, which also stamps `x-request-id`.
    """

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, err: ApiError) -> JSONResponse:
        return envelope(err.status, err.message, err.type, err.param, err.code, err.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, err: RequestValidationError) -> JSONResponse:
        first = err.errors()[0] if err.errors() else {}
        location = [str(p) for p in first.get("loc", ()) if p not in ("query", "path", "body")]
        param = ".".join(location) or None
        message = f"Invalid value for '{param}': {first.get('msg', 'invalid')}" if param else str(first)
        return envelope(400, message, "invalid_request_error", param, "invalid_value")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, err: StarletteHTTPException) -> JSONResponse:
        message = (
            f"Invalid URL ({request.method} {request.url.path})" if err.status_code in (404, 405) else str(err.detail)
        )
        return envelope(err.status_code, message, _TYPES.get(err.status_code, "invalid_request_error"),
                        None, None, dict(err.headers or {}))
