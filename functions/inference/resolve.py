"""The gate's resolve step: the catalog models a request names (404 unknown, 410 retired, 400 when one does not
serve the endpoint or take the request's inputs) and the key's policy on them (403)."""

from __future__ import annotations

from typing import TypeVar

from empirio.context import Context
from empirio.domain.accounts import Principal
from empirio.domain.canonical import Audio, Document, Image, Request, ToolResult
from empirio.domain.catalog import CatalogModel, check_not_retired
from empirio.domain.fallbacks import incompatibility
from empirio.errors import InvalidRequestError, NotFoundError, PermissionDeniedError
from empirio.providers.registry import capability, serves

A = TypeVar("A")  # a provider adapter's capability (providers.base protocols)
INPUT_MODALITY = {Image: "image", Document: "document", Audio: "audio"}


def resolve_models(context: Context, request: Request, endpoint: str) -> tuple[CatalogModel, ...]:
    """A chat request's model and its fallbacks from the catalog. Every one must exist and take the request's
    inputs; a fallback that serves another endpoint or outputs other modalities is refused up front."""
    primary = _resolve(context, request.model, "model")
    if not primary.serves(endpoint):
        raise InvalidRequestError(
            f"The model '{primary.id}' does not serve {endpoint}; it serves {', '.join(primary.endpoints)}.",
            param="model",
            code="unsupported_endpoint",
        )
    models = [primary]
    for name in request.fallbacks:
        model = _resolve(context, name, "models")
        reason = incompatibility(primary, model, endpoint)
        if reason is not None:
            raise InvalidRequestError(
                f"The models of one request must serve the same endpoint and modalities: {reason}.",
                param="models",
                code="incompatible_models",
            )
        if model not in models:  # an alias names a model already listed
            models.append(model)
    for model in models:
        _check_inputs(model, request)
    return tuple(models)


def resolve_one(context: Context, model_id: str, endpoint: str, kind: type[A]) -> tuple[CatalogModel, A]:
    """The catalog model for a non-chat ``endpoint`` and its provider's adapter of ``kind`` (404 when unknown, 410
    when retired, 400 when it serves something else: the rule GET /v1/models lists by)."""
    model = context.catalog.get(model_id)
    if model is None:
        raise NotFoundError(
            f"The model '{model_id}' does not exist. GET /v1/models?endpoint={endpoint} lists the models of "
            "this endpoint.",
            param="model",
            code="model_not_found",
        )
    check_not_retired(model, context.clock())
    adapter = capability(model.provider, kind)
    if not model.serves(endpoint) or not serves(model.provider, endpoint) or adapter is None:
        raise InvalidRequestError(
            f"The model '{model.id}' does not serve {endpoint}; it serves {', '.join(model.endpoints)}.",
            param="model",
            code="unsupported_endpoint",
        )
    return model, adapter


def check_allowed(principal: Principal, models: tuple[CatalogModel, ...]) -> None:
    """A key limited to some models refuses the others (403), before anything is held."""
    for model in models:
        if not principal.policy.allows(model.id):
            allowed = ", ".join(principal.policy.allowed_models)
            raise PermissionDeniedError(
                f"The API key {principal.key_id} may not call '{model.id}'; it may call: {allowed}.",
                param="model",
                code="model_not_allowed",
            )


def _resolve(context: Context, name: str, param: str) -> CatalogModel:
    model = context.catalog.get(name)
    if model is None:
        raise NotFoundError(
            f"The model '{name}' does not exist. GET /v1/models lists the models.",
            param=param,
            code="model_not_found",
        )
    check_not_retired(model, context.clock())
    return model


def _check_inputs(model: CatalogModel, request: Request) -> None:
    """Every image, document and audio part needs the model's input modality: a 400 names the first part
    that does not fit."""
    for i, message in enumerate(request.messages):
        for j, block in enumerate(message.content):
            inner = block.content if isinstance(block, ToolResult) else (block,)
            for part in inner:
                modality = INPUT_MODALITY.get(type(part))
                if modality and modality not in model.modalities.input:
                    raise InvalidRequestError(
                        f"The model '{model.id}' does not accept {modality} input (messages[{i}].content[{j}] is "
                        f"{'an' if modality[0] in 'aeiou' else 'a'} {modality}); its inputs are "
                        f"{', '.join(model.modalities.input)}.",
                        param=f"messages[{i}].content[{j}]",
                        code="unsupported_modality",
                    )
