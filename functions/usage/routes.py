"""HTTP routes of the usage family: usage totals, the generations list, its CSV export and one generation."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from empirio.context import get_context
from empirio.domain.accounts import Principal
from empirio.domain.keys import Scope
from empirio.domain.usage import parse_group_by, zone
from empirio.errors import InvalidRequestError, NotFoundError
from empirio.reports import generations
from empirio.reports import usage as service
from empirio.web.auth import authenticate, require_scope

router = APIRouter()
manage = Depends(require_scope(Scope.MANAGE))
DAY = 86400


def account_zone(account_id: str, tz: str | None) -> ZoneInfo:
    """The time zone days follow: ``tz`` when given, else the account's setting."""
    name = tz or get_context().accounts.require(account_id).timezone
    try:
        return zone(name)
    except ValueError as error:
        raise InvalidRequestError(f"Invalid value for 'tz': {error}.", param="tz") from None


@router.get("/v1/usage")
def get_usage(
    start: str | None = None,
    end: str | None = None,
    group_by: str | None = None,
    tz: str | None = None,
    latency: bool = False,
    limit: int = Query(default=100, ge=1, le=1000),
    after: int = Query(default=0, ge=0),
    principal: Principal = manage,
) -> dict[str, Any]:
    now = int(time.time())
    try:
        groups = parse_group_by(group_by)
    except ValueError as error:
        raise InvalidRequestError(f"Invalid value for 'group_by': {error}.", param="group_by") from None
    zone_ = account_zone(principal.account_id, tz) if tz or "day" in groups or "hour" in groups else None
    body = service.usage(
        get_context().usage,
        principal.account_id,
        service.parse_time(start, "start", now - 30 * DAY),
        service.parse_time(end, "end", now + 1),
        groups,
        **({"tz": zone_} if zone_ else {}),
        latency=latency,
    )
    page = body["data"][after : after + limit]
    body["next"] = after + limit if after + limit < len(body["data"]) else None
    body["data"] = page
    return body


@dataclass(frozen=True)
class GenerationQuery:
    """The time range and filters the generations list and its export share."""

    start: int
    end: int
    filters: dict[str, str]


def generation_query(
    start: str | None = None,
    end: str | None = None,
    model: str | None = None,
    key_id: str | None = None,
    status: str | None = None,
    source: str | None = None,
    app: str | None = None,
) -> GenerationQuery:
    start_s = service.parse_time(start, "start", 0)
    end_s = service.parse_time(end, "end", int(time.time()) + 1)
    if end_s <= start_s:
        raise InvalidRequestError("'end' must be after 'start'.", param="end")
    filters = generations.filters_of(model=model, key_id=key_id, status=status, source=source, app=app)
    return GenerationQuery(start_s, end_s, filters)


@router.get("/v1/generations")
def list_generations(
    query: GenerationQuery = Depends(generation_query),
    limit: int = Query(default=50, ge=1, le=500),
    after: str | None = None,
    principal: Principal = manage,
) -> dict[str, Any]:
    return generations.list_generations(
        get_context().usage,
        principal.account_id,
        query.start,
        query.end,
        query.filters,
        limit,
        after,
        get_context().keys.names(principal.account_id),
    )


@router.get("/v1/generations/export")
def export_generations(
    query: GenerationQuery = Depends(generation_query), principal: Principal = manage
) -> StreamingResponse:
    """Every matching generation as CSV (oldest first), streamed page by page: no row cap."""
    rows = generations.export_csv(
        get_context().usage,
        principal.account_id,
        query.start,
        query.end,
        query.filters,
        get_context().keys.names(principal.account_id),
    )
    now = int(time.time())
    stamp = datetime.fromtimestamp(now, UTC).strftime("%Y%m%dT%H%M%SZ")
    return StreamingResponse(
        rows,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="generations-{stamp}.csv"'},
    )


@router.get("/v1/generations/{generation_id}")
def get_generation(
    generation_id: str,
    principal: Principal = Depends(authenticate),
    wait: float = Query(0, ge=0, le=10, description="seconds to wait for a request that is still settling"),
) -> dict[str, Any]:
    """One request's record. A client that has just cancelled a stream can ask to ``wait`` while the server
    settles it, instead of polling through 404s."""
    store, deadline = get_context().usage, time.monotonic() + wait
    while True:
        try:
            return generations.generation(store, principal.account_id, generation_id)
        except NotFoundError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.1)
