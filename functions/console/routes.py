"""Console pages (thin: the gate, the page's view model from pages.py, then the page or its JSON twin): dashboard,
logs, playground, models; sign-in lives in auth_routes, keys and settings in account_routes, billing in
billing_routes."""

from __future__ import annotations

import mimetypes
import time

from fastapi import Request
from fastapi.responses import FileResponse, Response

from empirio.errors import NotFoundError
from empirio.web.errors import error_response
from empirio.web.urls import base_path
from functions.console import pages
from functions.console.gate import Console, view, wants_json
from functions.console.render import STATIC, page, secure
from functions.console.router import router


@router.get("/console")
def dashboard(console: Console, split: str = "model") -> Response:
    data = pages.dashboard(console.context, console.account, split, int(time.time()))
    return view(
        console.request, "dashboard.html", data, name="data", title="Dashboard", nav="dashboard", live=True
    )


@router.get("/console/logs")
def logs(
    console: Console,
    model: str = "",
    key_id: str = "",
    status: str = "",
    app: str = "",
    range: str = "",
    start: str = "",
    end: str = "",
    after: str = "",
) -> Response:
    filters = {"model": model, "key_id": key_id, "status": status, "app": app, "range": range}
    query = {k: v for k, v in {**filters, "start": start, "end": end}.items() if v}
    data = pages.logs(console.context, console.account, query, after, int(time.time()))
    return view(console.request, "logs.html", data, title="Logs", nav="logs", live=not after)


@router.get("/console/logs/{generation_id}")
def generation_detail(console: Console, generation_id: str) -> Response:
    request = console.request
    try:
        data = pages.generation(console.context, console.account, generation_id)
    except NotFoundError as error:
        if wants_json(request):
            return secure(error_response(request, error))
        return page(
            request,
            "error.html",
            status=404,
            status_code=404,
            title="Not found",
            message=error.message,
            nav="logs",
        )
    return view(request, "generation.html", data, title=f"Request {data['record']['id']}", nav="logs")


@router.get("/console/playground")
def playground(console: Console) -> Response:
    data = pages.playground(console.context, console.account)
    return view(console.request, "playground.html", data, name="data", title="Playground", nav="playground")


@router.get("/console/models")
def models(
    console: Console, q: str = "", provider: str = "", modality: str = "", endpoint: str = ""
) -> Response:
    data = pages.models(console.context.catalog, q, provider, modality, endpoint)
    return view(console.request, "models.html", data, title="Models", nav="models")


@router.get("/console/models/{model_id:path}")
def model_page(console: Console, model_id: str) -> Response:
    request = console.request
    api_base = f"{request.url.scheme}://{request.url.netloc}{base_path(request)}"
    data = pages.model(console.context.catalog, model_id, api_base)
    if data is None:
        message = f"No model {model_id!r} in the catalog."
        if wants_json(request):
            return secure(error_response(request, NotFoundError(message, code="model_not_found")))
        return page(
            request,
            "error.html",
            status=404,
            status_code=404,
            title="Not found",
            nav="models",
            message=message,
        )
    return view(request, "model.html", data, title=data["model"]["name"], nav="models")


@router.get("/console/static/{asset:path}")
def static(request: Request, asset: str) -> Response:
    """The console's own CSS and JS and the pinned browser libraries (long-cached when the URL carries the
    file's version; a module's own imports do not, and are revalidated)."""
    path = (STATIC / asset).resolve()
    if STATIC.resolve() not in path.parents or not path.is_file() or path.suffix not in {".js", ".css"}:
        return secure(Response("Not found", status_code=404, media_type="text/plain"))
    media = "text/javascript" if path.suffix == ".js" else mimetypes.guess_type(path.name)[0] or "text/css"
    versioned = "v" in request.query_params
    cache = "public, max-age=31536000, immutable" if versioned else "no-cache"
    return secure(FileResponse(path, media_type=media, headers={"cache-control": cache}), cacheable=True)
