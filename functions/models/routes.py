"""HTTP routes of the models family (thin: auth, parse, one service call)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from empirio.context import get_context
from empirio.reports import models as service
from empirio.web.auth import authenticate

router = APIRouter(dependencies=[Depends(authenticate)])


@router.get("/v1/models")
def list_models(
    modality: str | None = None, provider: str | None = None, endpoint: str | None = None
) -> dict[str, Any]:
    return service.list_models(get_context().catalog, modality, provider, endpoint)


@router.get("/v1/models/{model_id:path}")
def get_model(model_id: str) -> dict[str, Any]:
    return service.get_model(get_context().catalog, model_id)
