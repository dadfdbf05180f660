"""Local only: Cognito's code checks, which moto lacks, in front of moto's user pool.

moto confirms a sign-up with any code, accepts any password-reset code not shaped like its own, and has no
``resend_confirmation_code``. This stand-in issues the 6-digit codes itself, "sends" them as the ``outbox:``
lines Cognito's emails are locally, and refuses a code as Cognito does: ``CodeMismatchException`` for a wrong
or made-up one (and for an email with no account: the pool prevents user-existence errors),
``ExpiredCodeException`` past its life (24 h for sign-up, 1 h for a reset, as Cognito's), and
``LimitExceededException`` once 5 wrong tries have spent it. Only the newest code of each kind is valid and a code
works once. Every other operation goes to moto unchanged. In AWS none of this runs: Cognito checks its codes.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import ClientError

from empirio.store import identity

outbox = logging.getLogger("empirio.outbox")

Purpose = Literal["sign-up", "reset"]
LIFETIME: dict[Purpose, int] = {"sign-up": 24 * 3600, "reset": 3600}
MAX_WRONG = 5
_pools: dict[str, LocalCodes] = {}


@dataclass
class _Code:
    value: str
    expires_at: float
    wrong: int = 0


class LocalCodes:
    """The codes of one user pool: the newest per (purpose, username), its expiry and wrong tries."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._codes: dict[tuple[Purpose, str], _Code] = {}
        self._lock = threading.Lock()

    def issue(self, purpose: Purpose, username: str) -> str:
        """A new code, replacing any earlier one of the same purpose."""
        value = f"{secrets.randbelow(10**6):06d}"
        with self._lock:
            self._codes[(purpose, username)] = _Code(value, self.clock() + LIFETIME[purpose])
        return value

    def check(self, purpose: Purpose, username: str, given: str) -> str | None:
        """None when ``given`` is the live code (it stays live until ``spend``), else the Cognito error code."""
        with self._lock:
            code = self._codes.get((purpose, username))
            if code is None:
                return "CodeMismatchException"
            if code.wrong >= MAX_WRONG:
                return "LimitExceededException"
            if not hmac.compare_digest(code.value.encode(), given.strip().encode()):
                code.wrong += 1
                return "CodeMismatchException"
            if self.clock() >= code.expires_at:
                return "ExpiredCodeException"
            return None

    def spend(self, purpose: Purpose, username: str) -> None:
        with self._lock:
            self._codes.pop((purpose, username), None)


_MESSAGES = {
    "CodeMismatchException": "Invalid verification code provided, please try again.",
    "ExpiredCodeException": "Invalid code provided, please request a code again.",
    "LimitExceededException": "Attempt limit exceeded, please try after some time.",
}


def _refuse(code: str, operation: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": _MESSAGES[code]}}, operation)


def _send(email: str, subject: str, code: str) -> None:
    outbox.info("outbox: to=%s subject=%r code=%s", email, subject, code)


class LocalCognito:
    """A cognito-idp client for one moto pool that checks codes as Cognito does (see the module docstring)."""

    def __init__(self, client: Any, pool_id: str, codes: LocalCodes) -> None:
        self._idp = client
        self._pool = pool_id
        self.codes = codes

    def __getattr__(self, name: str) -> Any:
        return getattr(self._idp, name)

    def _status(self, username: str) -> str | None:
        """The user's status (UNCONFIRMED, CONFIRMED...), None when there is no such user."""
        try:
            user = self._idp.admin_get_user(UserPoolId=self._pool, Username=username)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "UserNotFoundException":
                return None
            raise
        return str(user.get("UserStatus", ""))

    def sign_up(self, **kwargs: Any) -> dict[str, Any]:
        response: dict[str, Any] = self._idp.sign_up(**kwargs)
        _send(
            kwargs["Username"],
            "Verify your EmpirioLabs email",
            self.codes.issue("sign-up", kwargs["Username"]),
        )
        return response

    def confirm_sign_up(self, *, ClientId: str, Username: str, ConfirmationCode: str) -> dict[str, Any]:
        status = self._status(Username)
        if status is None:
            raise _refuse("CodeMismatchException", "ConfirmSignUp")
        if status != "UNCONFIRMED":
            raise ClientError(
                {
                    "Error": {
                        "Code": "NotAuthorizedException",
                        "Message": f"User cannot be confirmed. Current status is {status}",
                    }
                },
                "ConfirmSignUp",
            )
        refusal = self.codes.check("sign-up", Username, ConfirmationCode)
        if refusal:
            raise _refuse(refusal, "ConfirmSignUp")
        self.codes.spend("sign-up", Username)
        return dict(self._idp.confirm_sign_up(ClientId=ClientId, Username=Username, ConfirmationCode="-"))

    def resend_confirmation_code(self, *, ClientId: str, Username: str) -> dict[str, Any]:
        status = self._status(Username)
        if status == "UNCONFIRMED":
            code = self.codes.issue("sign-up", Username)
            _send(Username, "Your new EmpirioLabs verification code", code)
        elif status is not None:
            raise ClientError(
                {"Error": {"Code": "InvalidParameterException", "Message": "User is already confirmed."}},
                "ResendConfirmationCode",
            )
        # No such user: an answer like a success, as the pool prevents user-existence errors.
        return {"CodeDeliveryDetails": {"Destination": Username, "DeliveryMedium": "EMAIL"}}

    def forgot_password(self, *, ClientId: str, Username: str) -> dict[str, Any]:
        status = self._status(Username)
        if status == "UNCONFIRMED":  # Cognito: no verified email to send the code to
            raise ClientError(
                {
                    "Error": {
                        "Code": "InvalidParameterException",
                        "Message": "Cannot reset password for the user as there is no registered/verified email",
                    }
                },
                "ForgotPassword",
            )
        response = {"CodeDeliveryDetails": {"Destination": Username, "DeliveryMedium": "EMAIL"}}
        if status is not None:
            _send(Username, "Reset your EmpirioLabs password", self.codes.issue("reset", Username))
        return response

    def confirm_forgot_password(
        self,
        *,
        ClientId: str,
        Username: str,
        ConfirmationCode: str,
        Password: str,
    ) -> dict[str, Any]:
        if self._status(Username) is None:
            raise _refuse("CodeMismatchException", "ConfirmForgotPassword")
        refusal = self.codes.check("reset", Username, ConfirmationCode)
        if refusal:
            raise _refuse(refusal, "ConfirmForgotPassword")
        # The pool's password policy is checked here (InvalidPasswordException); the code survives a weak password.
        self._idp.admin_set_user_password(
            UserPoolId=self._pool, Username=Username, Password=Password, Permanent=True
        )
        self.codes.spend("reset", Username)
        return {}


def install(pool_id: str) -> LocalCodes:
    """Put the stand-in in front of moto's pool ``pool_id`` for every CognitoIdentity of this process."""
    codes = _pools.setdefault(pool_id, LocalCodes())
    identity.use_stand_in(pool_id, lambda client: LocalCognito(client, pool_id, codes))
    return codes


def codes_of(pool_id: str) -> LocalCodes:
    """The codes of an installed pool (tests move its clock)."""
    return _pools[pool_id]
