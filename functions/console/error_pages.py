"""The console's error pages: unknown console paths, refused forms and crashes as console HTML (the API under /v1
keeps its JSON errors). Installed through ``create_app(error_pages=...)`` by app.py and the local composition."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from empirio.web.auth import session_of
from functions.console.render import page
from functions.console.session import sign_in_redirect

_TITLES = {
    400: "That request was not understood",
    403: "Not allowed",
    404: "Page not found",
    405: "Page not found",
    409: "That changed meanwhile",
    413: "Too large",
    429: "Too many requests",
}


def console_error_page(request: Request, status: int, message: str, code: str | None) -> Response:
    """``status`` as a console page: the message in words for a person, the request id for support."""
    if status == 401:
        return sign_in_redirect(request)
    try:
        session = session_of(request)
    except Exception:  # the session store may be what failed: the page renders without the navigation
        session = None
    title = _TITLES.get(status, "Something went wrong" if status >= 500 else "That did not work")
    if code == "csrf_failed":
        title = "This form expired"
        message = (
            "The form was sent without a valid security token, or from another site. Go back, reload the page "
            "and send it again."
        )
    elif status in (404, 405) and code is None:
        message = "There is no console page at this address."
    elif status >= 500:
        message = "The console could not answer this time. Try again in a moment; nothing was changed twice."
    return page(
        request,
        "error.html",
        status=status,
        title=title,
        message=message,
        session=session,
        request_id=getattr(request.state, "request_id", None),
        status_code=status,
    )
