"""Identity: sign-up, verification, sign-in and password reset through an Amazon Cognito user pool.

Cognito owns passwords and codes and sends the emails. Locally the dev server puts a stand-in in front of moto's
pool (``use_stand_in``; empirio_cli.local_cognito) that issues and checks the codes as Cognito does, since moto
checks none, and logs each message a person would receive as one ``outbox:`` line with the recipient and the
code. This adapter maps Cognito's answers to ours the same way for both: a wrong, expired or spent code is one
400 ``invalid_code`` for sign-up verification and password reset alike.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from empirio.errors import ApiError, InvalidRequestError, ServiceUnavailableError

outbox = logging.getLogger("empirio.outbox")

_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 3, "mode": "standard"})
_BAD_CREDENTIALS = "Incorrect email or password."
_stand_ins: dict[str, Callable[[Any], Any]] = {}


def use_stand_in(user_pool_id: str, wrap: Callable[[Any], Any]) -> None:
    """Locally only: every CognitoIdentity of pool ``user_pool_id`` calls ``wrap(client)`` instead of the client
    (a local pool's stand-in for the checks Cognito makes and moto does not). Unused in AWS."""
    _stand_ins[user_pool_id] = wrap


class SignInError(ApiError):
    status = 401
    type = "authentication_error"
    code = "invalid_credentials"


class NotVerifiedError(ApiError):
    status = 403
    type = "permission_error"
    code = "email_not_verified"


@dataclass(frozen=True)
class Identity:
    user_id: str  # Cognito's sub: stable, never reused
    email: str


class CognitoIdentity:
    def __init__(
        self, region: str, user_pool_id: str | None, client_id: str | None, outbox_mode: str
    ) -> None:
        if not user_pool_id or not client_id:
            raise ServiceUnavailableError(
                "Sign-in is not configured (no user pool).", code="identity_unconfigured"
            )
        self._pool = user_pool_id
        self._client_id = client_id
        self._log_outbox = outbox_mode == "log"
        client = boto3.client("cognito-idp", region_name=region, config=_CONFIG)
        wrap = _stand_ins.get(user_pool_id)
        self._idp: Any = wrap(client) if wrap else client

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response: dict[str, Any] = getattr(self._idp, operation)(**kwargs)
            return response
        except BotoCoreError as error:
            raise ServiceUnavailableError("Sign-in is temporarily unavailable; try again.") from error

    def sign_up(self, email: str, password: str) -> str | None:
        """Register a person; the user's sub, or None when the email is taken (answered like a success, so a
        form cannot tell who has an account; the owner is told instead)."""
        try:
            response = self._call(
                "sign_up",
                ClientId=self._client_id,
                Username=email,
                Password=password,
                UserAttributes=[{"Name": "email", "Value": email}],
            )
        except ClientError as error:
            code = _code(error)
            if code == "UsernameExistsException":
                self._send(email, "Someone tried to sign up with your email")
                return None
            if code in {"InvalidPasswordException", "InvalidParameterException"}:
                raise InvalidRequestError(
                    _message(error), param="password", code="invalid_password"
                ) from None
            raise _unavailable(error) from None
        return str(response["UserSub"])

    def confirm(self, email: str, code: str) -> None:
        try:
            self._call("confirm_sign_up", ClientId=self._client_id, Username=email, ConfirmationCode=code)
        except ClientError as error:
            if _code(error) in {
                "CodeMismatchException",
                "ExpiredCodeException",
                "UserNotFoundException",
                "NotAuthorizedException",
                "LimitExceededException",
                "TooManyFailedAttemptsException",
            }:
                raise _invalid_code() from None
            raise _unavailable(error) from None

    def resend(self, email: str) -> None:
        try:
            self._call("resend_confirmation_code", ClientId=self._client_id, Username=email)
        except ClientError as error:
            if _code(error) not in {
                "UserNotFoundException",
                "InvalidParameterException",
                "LimitExceededException",
            }:
                raise _unavailable(error) from None

    def sign_in(self, email: str, password: str) -> Identity:
        """Check the password; an unknown email and a wrong password get the same error."""
        try:
            auth = self._call(
                "initiate_auth",
                ClientId=self._client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": email, "PASSWORD": password},
            )
        except ClientError as error:
            code = _code(error)
            if code in {"NotAuthorizedException", "UserNotFoundException", "PasswordResetRequiredException"}:
                raise SignInError(_BAD_CREDENTIALS) from None
            if code == "UserNotConfirmedException":
                raise NotVerifiedError("Verify your email first: enter the code we sent you.") from None
            raise _unavailable(error) from None
        access = auth.get("AuthenticationResult", {}).get("AccessToken")
        if not access:  # a challenge (MFA, new password) this console does not handle
            raise SignInError(_BAD_CREDENTIALS)
        user = self._call("get_user", AccessToken=access)
        attributes = {a["Name"]: a["Value"] for a in user.get("UserAttributes", [])}
        # Our session replaces Cognito's tokens: end them now rather than leave them valid for an hour.
        self._call("global_sign_out", AccessToken=access)
        return Identity(
            user_id=attributes.get("sub") or user["Username"], email=attributes.get("email", email)
        )

    def forgot_password(self, email: str) -> None:
        """Send a reset code; answers the same whether or not the email has an account."""
        try:
            self._call("forgot_password", ClientId=self._client_id, Username=email)
        except ClientError as error:
            if _code(error) in {
                "UserNotFoundException",
                "InvalidParameterException",
                "LimitExceededException",
                "NotAuthorizedException",
            }:
                return
            raise _unavailable(error) from None

    def reset_password(self, email: str, code: str, password: str) -> None:
        try:
            self._call(
                "confirm_forgot_password",
                ClientId=self._client_id,
                Username=email,
                ConfirmationCode=code,
                Password=password,
            )
        except ClientError as error:
            code_name = _code(error)
            if code_name in {"InvalidPasswordException", "InvalidParameterException"}:
                raise InvalidRequestError(
                    _message(error), param="password", code="invalid_password"
                ) from None
            if code_name in {
                "CodeMismatchException",
                "ExpiredCodeException",
                "UserNotFoundException",
                "LimitExceededException",
                "TooManyFailedAttemptsException",
                "ResourceNotFoundException",
            }:
                raise _invalid_code() from None
            raise _unavailable(error) from None

    def _send(self, email: str, subject: str) -> None:
        """A message Cognito does not send for us (locally: an ``outbox:`` line; codes are the pool's to send)."""
        if self._log_outbox:
            outbox.info("outbox: to=%s subject=%r", email, subject)


def _invalid_code() -> InvalidRequestError:
    return InvalidRequestError(
        "That code is not valid or has expired. Ask for a new one.", param="code", code="invalid_code"
    )


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _message(error: ClientError) -> str:
    text = str(error.response.get("Error", {}).get("Message", "")).strip()
    return text if text.endswith(".") else f"{text}."


def _unavailable(error: ClientError) -> ServiceUnavailableError:
    logging.getLogger("empirio.identity").warning("cognito error %s", _code(error))
    return ServiceUnavailableError("Sign-in is temporarily unavailable; try again.")
