"""Sign-up, email verification, sign-in, sign-out and password reset: HTML forms over Cognito and our session."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response

from empirio.context import get_context
from empirio.errors import ApiError
from empirio.web.auth import session_of
from functions.console.gate import OriginForm
from functions.console.render import page, redirect, safe_next
from functions.console.router import router
from functions.console.session import check_form, end_session, field, start_session

_EMAIL_MAX = 254


def _form_error(request: Request, template: str, error: ApiError, **values: Any) -> Response:
    status = error.status if error.status < 500 else 503
    return page(request, template, status=status, error=error.message, **values)


@router.get("/console/signup")
def signup_form(request: Request) -> Response:
    return page(request, "signup.html", title="Sign up")


@router.post("/console/signup")
def signup(request: Request, form: OriginForm) -> Response:
    email, password = field(form, "email", _EMAIL_MAX).lower(), field(form, "password", 256, strip=False)
    if "@" not in email or not password:
        return page(
            request,
            "signup.html",
            status=400,
            title="Sign up",
            email=email,
            error="Enter your email and a password.",
        )
    context = get_context()
    try:
        user_id = context.identity.sign_up(email, password)
        if user_id is not None:
            context.users.ensure(user_id, email)  # the account exists from sign-up on (balance 0)
    except ApiError as error:
        return _form_error(request, "signup.html", error, title="Sign up", email=email)
    return page(
        request,
        "verify.html",
        title="Verify your email",
        email=email,
        notice=f"We sent a verification code to {email}. Enter it below.",
    )


@router.get("/console/verify")
def verify_form(request: Request, email: str = "") -> Response:
    return page(request, "verify.html", title="Verify your email", email=email[:_EMAIL_MAX])


@router.post("/console/verify")
def verify(request: Request, form: OriginForm) -> Response:
    email, code = field(form, "email", _EMAIL_MAX).lower(), field(form, "code", 32)
    try:
        get_context().identity.confirm(email, code)
    except ApiError as error:
        return _form_error(request, "verify.html", error, title="Verify your email", email=email)
    return redirect(request, "/console/signin?" + urlencode({"verified": 1, "email": email}))


@router.post("/console/verify/resend")
def resend(request: Request, form: OriginForm) -> Response:
    email = field(form, "email", _EMAIL_MAX).lower()
    try:
        get_context().identity.resend(email)
    except ApiError as error:
        return _form_error(request, "verify.html", error, title="Verify your email", email=email)
    return page(
        request,
        "verify.html",
        title="Verify your email",
        email=email,
        notice="If that email is waiting for verification, a new code is on its way.",
    )


@router.get("/console/signin")
def signin_form(
    request: Request, next: str = "", verified: str = "", reset: str = "", email: str = ""
) -> Response:
    if session_of(request) is not None:
        return redirect(request, safe_next(next))
    notice = (
        "Email verified. Sign in to continue."
        if verified
        else "Password changed. Sign in with your new password."
        if reset
        else None
    )
    return page(
        request,
        "signin.html",
        title="Sign in",
        next=safe_next(next),
        notice=notice,
        email=email[:_EMAIL_MAX],
    )


@router.post("/console/signin")
def signin(request: Request, form: OriginForm) -> Response:
    email, password = field(form, "email", _EMAIL_MAX).lower(), field(form, "password", 256, strip=False)
    target = safe_next(field(form, "next"))
    context = get_context()
    try:
        identity = context.identity.sign_in(email, password)
        user = context.users.ensure(identity.user_id, identity.email)
    except ApiError as error:
        return _form_error(
            request,
            "signin.html",
            error,
            title="Sign in",
            email=email,
            next=target,
            unverified=error.code == "email_not_verified",
        )
    response = redirect(request, target)
    start_session(request, user, response)
    return response


@router.post("/console/signout")
async def signout(request: Request) -> Response:
    session = session_of(request)
    if session is not None:
        check_form(request, await request.form(), session)
    response = redirect(request, "/console/signin")
    end_session(request, response)
    return response


@router.get("/console/reset")
def reset_form(request: Request) -> Response:
    return page(request, "reset.html", title="Reset your password")


@router.post("/console/reset")
def reset(request: Request, form: OriginForm) -> Response:
    email = field(form, "email", _EMAIL_MAX).lower()
    try:
        get_context().identity.forgot_password(email)
    except ApiError as error:
        return _form_error(request, "reset.html", error, title="Reset your password", email=email)
    return page(
        request,
        "reset_confirm.html",
        title="Choose a new password",
        email=email,
        notice=f"If {email} has an account, we sent it a code.",
    )


@router.get("/console/reset/confirm")
def reset_confirm_form(request: Request, email: str = "") -> Response:
    return page(request, "reset_confirm.html", title="Choose a new password", email=email[:_EMAIL_MAX])


@router.post("/console/reset/confirm")
def reset_confirm(request: Request, form: OriginForm) -> Response:
    email, code = field(form, "email", _EMAIL_MAX).lower(), field(form, "code", 32)
    password = field(form, "password", 256, strip=False)
    context = get_context()
    try:
        context.identity.reset_password(email, code, password)
    except ApiError as error:
        return _form_error(request, "reset_confirm.html", error, title="Choose a new password", email=email)
    context.sessions.revoke_all(email)  # whoever held a session with the old password holds it no longer
    return redirect(request, "/console/signin?" + urlencode({"reset": 1, "email": email}))
