"""Our own URLs as the client sees them: behind API Gateway every path carries the stage (``/dev``)."""

from __future__ import annotations

from fastapi import Request


def base_path(request: Request) -> str:
    """The prefix every URL of ours carries: the API Gateway stage (``/dev``) or a local ``root_path``."""
    event = request.scope.get("aws.event")
    if isinstance(event, dict):
        full = str((event.get("requestContext") or {}).get("path") or "")
        path = str(event.get("path") or "")
        if full and path and full != path and full.endswith(path):
            return full[: -len(path)].rstrip("/")
        return ""
    return str(request.scope.get("root_path", "")).rstrip("/")


def public_root(request: Request) -> str:
    """Scheme, host and prefix of this deployment (``https://abc.execute-api…/dev``): where return URLs point."""
    return f"{request.url.scheme}://{request.url.netloc}{base_path(request)}"
