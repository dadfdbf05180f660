"""The console's one gate: every page depends on ``Console`` (the live session, its account, the context), every
form that changes something on ``ConsoleWrite`` (the same, plus the form, checked for origin and CSRF token), and
the sign-in forms on ``OriginForm``; and ``view``, which renders a page's view model as HTML or as its JSON twin.

A missing session raises ``SignInRequiredError`` (a 401): under /console the error pages turn every 401 into the
sign-in redirect that comes back to the page (error_pages.py), or a bare 401 for a live update."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import FormData

from empirio.context import Context, get_context
from empirio.domain.accounts import Account
from empirio.domain.sessions import Session
from empirio.errors import AuthenticationError
from empirio.web.auth import session_of
from functions.console.render import page, secure
from functions.console.session import check_form, check_origin


class SignInRequiredError(AuthenticationError):
    code = "signed_out"


@dataclass
class ConsoleRequest:
    """A signed-in person's request: their session and the context; the account is read once, when asked for."""

    request: Request
    session: Session
    context: Context
    _account: Account | None = field(default=None, repr=False)

    @property
    def account_id(self) -> str:
        return self.session.account_id

    @property
    def account(self) -> Account:
        if self._account is None:
            self._account = self.context.accounts.require(self.session.account_id)
        return self._account

    def refresh(self) -> Account:
        """The account as stored now (after this request changed it)."""
        self._account = None
        return self.account


@dataclass
class ConsoleForm(ConsoleRequest):
    """A signed-in person's form post, already checked: same origin and the session's CSRF token."""

    form: FormData = field(default_factory=FormData)


def console_page(request: Request) -> ConsoleRequest:
    session = session_of(request)
    if session is None:
        raise SignInRequiredError("Sign in to continue.")
    return ConsoleRequest(request, session, get_context())


async def console_write(request: Request) -> ConsoleForm:
    """Session first (a signed-out post goes to sign-in), then the form, then its CSRF check (web/auth's)."""
    console = console_page(request)
    form = await request.form()
    check_form(request, form, console.session)
    return ConsoleForm(request, console.session, console.context, form=form)


async def origin_form(request: Request) -> FormData:
    """A form sent before there is a session (sign-in, sign-up, reset): only from our own pages."""
    check_origin(request)
    return await request.form()


Console = Annotated[ConsoleRequest, Depends(console_page)]
ConsoleWrite = Annotated[ConsoleForm, Depends(console_write)]
OriginForm = Annotated[FormData, Depends(origin_form)]


def wants_json(request: Request) -> bool:
    """``?format=json``, or an ``Accept`` that puts JSON first (a browser's never does)."""
    if request.query_params.get("format") == "json":
        return True
    return request.headers.get("accept", "").split(",", 1)[0].strip().startswith("application/json")


def view(
    request: Request,
    template: str,
    model: Mapping[str, Any],
    status: int = 200,
    name: str | None = None,
    **presentation: Any,
) -> Response:
    """A page's view model as its template renders it (its keys as the template's names, or all of it as ``name``),
    or as JSON: its twin, the same figures without markup. ``presentation`` (title, navigation, form echoes,
    choices such as the time-zone list) is for the HTML only."""
    if wants_json(request):
        return secure(JSONResponse(jsonable_encoder(model), status_code=status))
    values = {name: model} if name else dict(model)
    return page(request, template, status=status, **values, **presentation)
