"""Console pages (thin: session, gather through the shared services, render): dashboard, logs, playground, models;
sign-in lives in auth_routes, keys and settings in account_routes."""

from __future__ import annotations

import mimetypes
import time

from fastapi import Request
from fastapi.responses import FileResponse, Response

from empirio.context import get_context
from empirio.errors import ApiError, NotFoundError
from empirio.reports import generations
from empirio.reports.models import model_view
from empirio.reports.usage import parse_time
from empirio.web.auth import session_of
from empirio.web.urls import base_path
from functions.console import pages
from functions.console.examples import examples
from functions.console.render import STATIC, local_time, page, secure
from functions.console.router import router
from functions.console.session import sign_in_redirect

RANGES = {"1h": 3600, "24h": 86400, "7d": 7 * 86400, "30d": 30 * 86400}


@router.get("/console")
def dashboard(request: Request, split: str = "model") -> Response:
    session = session_of(request)
    if session is None:
        return sign_in_redirect(request)
    context = get_context()
    account = context.accounts.require(session.account_id)
    data = pages.dashboard(context, account, split, int(time.time()))
    return page(request, "dashboard.html", title="Dashboard", nav="dashboard", data=data, live=True)


@router.get("/console/logs")
def logs(
    request: Request,
    model: str = "",
    key_id: str = "",
    status: str = "",
    app: str = "",
    range: str = "",
    start: str = "",
    end: str = "",
    after: str = "",
) -> Response:
    session = session_of(request)
    if session is None:
        return sign_in_redirect(request)
    context = get_context()
    account = context.accounts.require(session.account_id)
    tz = pages.account_zone(account)
    now = int(time.time())
    error, start_s, end_s = None, 0, now + 1
    used = pages.used(context, account, now)  # the filters offer what the account used, not the whole catalog
    try:
        start_s = now - RANGES[range] if range in RANGES else parse_time(start or None, "start", 0, tz)
        end_s = parse_time(end or None, "end", now + 1, tz)
        names = context.keys.names(session.account_id)
        filters = generations.filters_of(model=model, key_id=key_id, status=status, app=app)
        listing = generations.list_generations(
            context.usage, session.account_id, start_s, end_s, filters, 50, after or None, names
        )
    except ApiError as problem:
        error, names, listing = problem.message, {}, {"data": [], "has_more": False, "last_id": None}
    query = {
        k: v
        for k, v in {
            "model": model,
            "key_id": key_id,
            "status": status,
            "app": app,
            "range": range,
            "start": start,
            "end": end,
        }.items()
        if v
    }
    rows = [{**row, "time": local_time(row.get("created_at"), tz)} for row in listing["data"]]
    # The export (a public API route) takes the same filters, with the time range as epoch seconds.
    export = {k: v for k, v in {"model": model, "key_id": key_id, "status": status, "app": app}.items() if v}
    if range in RANGES or start or end:
        export.update(start=str(start_s), end=str(end_s))
    return page(
        request,
        "logs.html",
        title="Logs",
        nav="logs",
        rows=rows,
        listing=listing,
        query=query,
        export=export,
        after=after,
        error=error,
        models=sorted(used.models | ({model} if model else set())),
        apps=sorted(used.apps | ({app} if app else set())),
        used_days=pages.USED_DAYS,
        keys=sorted(names.items(), key=lambda kv: kv[1]),
        timezone=tz.key,
        live=not after,
    )


@router.get("/console/logs/{generation_id}")
def generation_detail(request: Request, generation_id: str) -> Response:
    session = session_of(request)
    if session is None:
        return sign_in_redirect(request)
    context = get_context()
    account = context.accounts.require(session.account_id)
    try:
        record = generations.generation(
            context.usage, session.account_id, generation_id, context.keys.names(session.account_id)
        )
    except NotFoundError as error:
        return page(
            request,
            "error.html",
            status=404,
            status_code=404,
            title="Not found",
            message=error.message,
            nav="logs",
        )
    tz = pages.account_zone(account)
    return page(
        request,
        "generation.html",
        title=f"Request {record['id']}",
        nav="logs",
        record=record,
        time=local_time(record.get("created_at"), tz),
        timezone=tz.key,
    )


@router.get("/console/playground")
def playground(request: Request) -> Response:
    session = session_of(request)
    if session is None:
        return sign_in_redirect(request)
    context = get_context()
    account = context.accounts.require(session.account_id)
    models = [
        {
            "id": m.id,
            "name": m.name or m.id,
            "images": "image" in m.modalities.input,
            "parameters": list(m.supported_parameters),
        }
        for m in context.catalog.filter(endpoint="/v1/chat/completions")
        if "text" in m.modalities.output
    ]
    data = {"models": models, "max_chats": account.limits.max_chats, "default": "local/echo"}
    return page(request, "playground.html", title="Playground", nav="playground", data=data)


@router.get("/console/models")
def models(
    request: Request, q: str = "", provider: str = "", modality: str = "", endpoint: str = ""
) -> Response:
    if session_of(request) is None:
        return sign_in_redirect(request)
    catalog = get_context().catalog
    needle = q.strip().lower()
    found = [
        model_view(m)
        for m in catalog.filter(
            modality=modality or None, provider=provider or None, endpoint=endpoint or None
        )
        if not needle or needle in m.id.lower() or needle in (m.name or "").lower()
    ]
    everything = catalog.models
    return page(
        request,
        "models.html",
        title="Models",
        nav="models",
        models=found,
        query={"q": q, "provider": provider, "modality": modality, "endpoint": endpoint},
        providers=sorted({m.provider for m in everything}),
        modalities=sorted({x for m in everything for x in (*m.modalities.input, *m.modalities.output)}),
        endpoints=sorted({e for m in everything for e in m.endpoints}),
    )


@router.get("/console/models/{model_id:path}")
def model_page(request: Request, model_id: str) -> Response:
    if session_of(request) is None:
        return sign_in_redirect(request)
    model = get_context().catalog.get(model_id)
    if model is None:
        return page(
            request,
            "error.html",
            status=404,
            status_code=404,
            title="Not found",
            nav="models",
            message=f"No model {model_id!r} in the catalog.",
        )
    api_base = f"{request.url.scheme}://{request.url.netloc}{base_path(request)}"
    return page(
        request,
        "model.html",
        title=model.name or model.id,
        nav="models",
        model=model_view(model),
        examples=examples(model.id, model.endpoints, api_base),
    )


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
