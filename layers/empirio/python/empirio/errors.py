"""Errors the API can return: each knows its HTTP status, OpenAI error type and code; web renders them."""

from __future__ import annotations


class ApiError(Exception):
    """Base of every error shown to a client. ``message`` is safe to show; it never holds a secret."""

    status: int = 500
    type: str = "api_error"
    code: str | None = None

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        if code is not None:
            self.code = code
        self.headers = headers or {}


class InvalidRequestError(ApiError):
    status = 400
    type = "invalid_request_error"


class AuthenticationError(ApiError):
    status = 401
    type = "authentication_error"
    code = "invalid_api_key"


class PermissionDeniedError(ApiError):
    status = 403
    type = "permission_error"


class NotFoundError(ApiError):
    status = 404
    type = "invalid_request_error"
    code = "not_found"


class GoneError(ApiError):
    status = 410
    type = "invalid_request_error"
    code = "model_retired"


class ConflictError(ApiError):
    status = 409
    type = "invalid_request_error"
    code = "conflict"


class KeyLimitExceededError(ConflictError):
    code = "key_limit_reached"


class ChatLimitExceededError(ConflictError):
    code = "chat_limit_reached"


class PayloadTooLargeError(ApiError):
    status = 413
    type = "invalid_request_error"
    code = "payload_too_large"


class IdempotencyConflictError(ApiError):
    status = 422
    type = "invalid_request_error"
    code = "idempotency_key_reused"


class ServiceUnavailableError(ApiError):
    status = 503
    type = "api_error"
    code = "service_unavailable"


class InsufficientCreditsError(ApiError):
    status = 402
    type = "insufficient_quota"
    code = "insufficient_credits"


class RateLimitError(ApiError):
    status = 429
    type = "rate_limit_error"
    code = "rate_limit_exceeded"


class IdempotencyInProgressError(ApiError):
    status = 409
    type = "invalid_request_error"
    code = "idempotency_key_in_progress"


class UpstreamFailedError(ApiError):
    status = 502
    type = "api_error"
    code = "upstream_error"


class UpstreamTimeoutError(ApiError):
    status = 504
    type = "api_error"
    code = "upstream_timeout"
