"""Error bodies in the caller's wire format: Anthropic's shape under /v1/messages, OpenAI's everywhere else."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from empirio.errors import ApiError

logger = logging.getLogger("empirio.web")

_ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    410: "not_found_error",
    409: "invalid_request_error",
    413: "request_too_large",
    414: "invalid_request_error",
    431: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
    503: "overloaded_error",
    504: "timeout_error",
}
_OPENAI_HTTP_TYPES = {401: "authentication_error", 403: "permission_error", 429: "rate_limit_error"}


def is_anthropic_path(path: str) -> bool:
    return path == "/v1/messages" or path.startswith("/v1/messages/")


def error_body(
    path: str, status: int, message: str, type_: str, param: str | None = None, code: str | None = None
) -> dict[str, object]:
    """The error JSON for a route: Anthropic ``{"type": "error", "error": {...}}`` or OpenAI ``{"error": {...}}``."""
    if is_anthropic_path(path):
        return {
            "type": "error",
            "error": {"type": _ANTHROPIC_TYPES.get(status, "api_error"), "message": message},
        }
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def error_response(request: Request, error: ApiError) -> JSONResponse:
    body = error_body(request.url.path, error.status, error.message, error.type, error.param, error.code)
    return JSONResponse(body, status_code=error.status, headers=error.headers)


def _field_path(loc: Sequence[object]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves in the route's own format: ours, validation, unknown routes and crashes alike."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": ("body",), "msg": "invalid request"}
        param = _field_path(first.get("loc", ()))
        reason = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        message = f"Invalid value for '{param}': {reason}."
        if first.get("type") == "missing":
            message = f"Missing required parameter '{param}'."
        if first.get("type") == "json_invalid":
            param, message = "body", "The request body is not valid JSON."
        elif param == "body" and first.get("type") in {"model_attributes_type", "dict_type"}:
            message = "The request body must be a JSON object sent with 'Content-Type: application/json'."
        body = error_body(request.url.path, 400, message, "invalid_request_error", param, "invalid_request")
        return JSONResponse(body, status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        type_ = _OPENAI_HTTP_TYPES.get(exc.status_code, "invalid_request_error")
        message = (
            str(exc.detail)
            if exc.status_code != 404
            else f"Unknown route {request.method} {request.url.path}."
        )
        body = error_body(request.url.path, exc.status_code, message, type_, None, None)
        return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        body = error_body(
            request.url.path, 500, "Internal server error.", "api_error", None, "internal_error"
        )
        return JSONResponse(body, status_code=500)
