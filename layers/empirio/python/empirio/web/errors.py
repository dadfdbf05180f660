"""Error bodies in the caller's wire format: Anthropic's shape under /v1/messages, OpenAI's everywhere else; and
HTML pages instead of JSON under the path prefixes a family renders pages for (the console's /console)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from empirio.errors import ApiError
from empirio.web.urls import base_path

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

# An error page: (request, status, message, code) → an HTML response (the console's error.html).
ErrorPage = Callable[[Request, int, str, str | None], Response]


def is_anthropic_path(path: str) -> bool:
    return path == "/v1/messages" or path.startswith("/v1/messages/")


def printable(text: str) -> str:
    """``text`` as UTF-8 can carry it: a lone surrogate echoed from a request (a model id, a field name) is shown
    as its escape (``\\ud800``) instead of failing the error's own rendering."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def error_body(
    path: str, status: int, message: str, type_: str, param: str | None = None, code: str | None = None
) -> dict[str, object]:
    """The error JSON for a route: Anthropic ``{"type": "error", "error": {...}}`` or OpenAI ``{"error": {...}}``.
    Every text in it can be encoded, whatever the request echoed into it."""
    message = printable(message)
    param = printable(param) if param is not None else None
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


def _page_for(request: Request, pages: Mapping[str, ErrorPage]) -> ErrorPage | None:
    base, path = base_path(request), request.url.path
    path = path[len(base) :] if base and path.startswith(base + "/") else path
    for prefix, render in pages.items():
        if path == prefix or path.startswith(prefix + "/"):
            return render
    return None


def install_error_handlers(app: FastAPI, pages: Mapping[str, ErrorPage] | None = None) -> None:
    """Every error leaves in the route's own format: ours, validation, unknown routes and crashes alike; under a
    prefix of ``pages`` as that family's HTML page (the API's paths keep their JSON)."""
    pages = pages or {}

    def shown(request: Request, status: int, message: str, code: str | None, json: JSONResponse) -> Response:
        render = _page_for(request, pages)
        if render is None:
            return json
        try:
            html = render(request, status, message, code)
        except Exception:  # a page that cannot render (the database is down): the plain answer, never a loop
            logger.exception("error page failed on %s %s", request.method, request.url.path)
            return json
        for name in ("retry-after",):
            if name in json.headers:
                html.headers[name] = json.headers[name]
        return html

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return shown(request, exc.status, exc.message, exc.code, error_response(request, exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
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
        return shown(request, 400, message, "invalid_request", JSONResponse(body, status_code=400))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        type_ = _OPENAI_HTTP_TYPES.get(exc.status_code, "invalid_request_error")
        message = (
            str(exc.detail)
            if exc.status_code != 404
            else f"Unknown route {request.method} {request.url.path}."
        )
        body = error_body(request.url.path, exc.status_code, message, type_, None, None)
        json = JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))
        return shown(request, exc.status_code, message, None, json)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        body = error_body(
            request.url.path, 500, "Internal server error.", "api_error", None, "internal_error"
        )
        return shown(
            request, 500, "Internal server error.", "internal_error", JSONResponse(body, status_code=500)
        )
