"""TransactWriteItems, the two writes of every metered request, without botocore's per-call machinery.

botocore spends about 0.4 ms of CPU a call (endpoint rules, shape-driven serialization and parsing, a dozen
events) on a request whose parameters are already DynamoDB's wire JSON. This sends the same HTTP request: the JSON
body, SigV4 with the client's credentials (as botocore's signer computes it, the day's key derived once), the
client's connection pool. It keeps what tests and operations rely on: the ``before-call``/``after-call`` events of
the operation (fault injection, the bench's counters), ``before-send`` (moto answers there), the response's CRC32
check, the ``standard`` retry mode's retries of throttling and transient errors with its backoff and the client's
own number of attempts, and errors raised as the client's modeled exceptions with the same ``response`` dict.
tests/unit/test_transact.py compares the request, the signature and the errors with botocore's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from botocore.awsrequest import AWSPreparedRequest, HeadersDict
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.exceptions import HTTPClientError, NoCredentialsError

OPERATION = "TransactWriteItems"
TARGET = f"DynamoDB_20120810.{OPERATION}"
CONTENT_TYPE = "application/x-amz-json-1.0"
DEFAULT_ATTEMPTS = 4  # botocore's standard mode for DynamoDB when the client's config names no number
_THROTTLED = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
    }
)
_TRANSIENT_CODES = frozenset({"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"})
_TRANSIENT_STATUS = frozenset({500, 502, 503, 504})
_THROTTLING_SCALE, _OTHER_SCALE, _MAX_BACKOFF = 1.0, 0.025, 20.0  # botocore's ExponentialBackoff for dynamodb


def _wire(value: Any) -> Any:
    """JSON for a parameter value: bytes as base64 (what botocore's serializer does for blobs)."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def _decode_binary(value: Any) -> Any:
    """Attribute values as botocore parses them: B and BS from base64 to bytes, through maps and lists."""
    if not isinstance(value, dict) or len(value) != 1:
        return value
    ((kind, inner),) = value.items()
    if kind == "B":
        return {"B": base64.b64decode(inner)}
    if kind == "BS":
        return {"BS": [base64.b64decode(v) for v in inner]}
    if kind == "M":
        return {"M": {k: _decode_binary(v) for k, v in inner.items()}}
    if kind == "L":
        return {"L": [_decode_binary(v) for v in inner]}
    return value


def _host(url: str) -> str:
    """The Host header as SigV4 signs it: the host name, and the port unless it is the scheme's default."""
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    host = parts.hostname or ""
    return host if parts.port in (None, default) else f"{host}:{parts.port}"


def _reason(reason: dict[str, Any]) -> dict[str, Any]:
    if "Item" not in reason:
        return reason
    return {**reason, "Item": {k: _decode_binary(v) for k, v in reason["Item"].items()}}


class Transactions:
    """``send(TransactItems=..., ClientRequestToken=...)`` for one boto3 DynamoDB client."""

    def __init__(self, client: Any, sleep: Callable[[float], None] = time.sleep) -> None:
        meta = client.meta
        self._sleep = sleep
        # botocore resolves the config's max_attempts (retries) into total_max_attempts (every call)
        self._attempts = int((meta.config.retries or {}).get("total_max_attempts", DEFAULT_ATTEMPTS))
        self._client = client
        self._events = meta.events
        self._model = meta.service_model.operation_model(OPERATION)
        self._service_id = meta.service_model.service_id.hyphenize()
        self._url = meta.endpoint_url.rstrip("/") + "/"
        self._region = meta.region_name
        self._signing_name = meta.service_model.signing_name
        self._credentials = client._request_signer._credentials
        self._http = client._endpoint.http_session
        self._host = _host(self._url)
        self._key: tuple[tuple[str, str], bytes] | None = None  # ((secret, day), that day's signing key)

    def request(self, params: dict[str, Any], now: datetime | None = None) -> AWSPreparedRequest:
        """The signed HTTP request for ``params`` (signed again on each attempt, as botocore does): SigV4 as
        botocore's ``SigV4Auth`` computes it, with the day's signing key derived once instead of every call."""
        if self._credentials is None:
            raise NoCredentialsError()
        credentials = self._credentials.get_frozen_credentials()
        body = json.dumps(params, separators=(",", ":"), default=_wire).encode()
        stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
        headers = {"X-Amz-Target": TARGET, "Content-Type": CONTENT_TYPE, "X-Amz-Date": stamp}
        if credentials.token:
            headers["X-Amz-Security-Token"] = credentials.token
        signed = sorted(
            [(k.lower(), " ".join(v.split())) for k, v in headers.items()] + [("host", self._host)]
        )
        names = ";".join(name for name, _ in signed)
        canonical = "\n".join(
            ["POST", "/", "", *(f"{k}:{v}" for k, v in signed), "", names, hashlib.sha256(body).hexdigest()]
        )
        scope = f"{stamp[:8]}/{self._region}/{self._signing_name}/aws4_request"
        text = f"AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        signature = hmac.new(self._signing_key(credentials.secret_key, stamp[:8]), text.encode(), "sha256")
        headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={credentials.access_key}/{scope}, SignedHeaders={names}, "
            f"Signature={signature.hexdigest()}"
        )
        headers["Content-Length"] = str(len(body))
        # HeadersDict is what botocore's AWSRequestPreparer builds (its stubs say HTTPHeaders)
        return AWSPreparedRequest("POST", self._url, HeadersDict(headers), body, False)  # type: ignore[arg-type]

    def _signing_key(self, secret: str, day: str) -> bytes:
        if self._key is None or self._key[0] != (secret, day):
            key = f"AWS4{secret}".encode()
            for part in (day, self._region, self._signing_name, "aws4_request"):
                key = hmac.new(key, part.encode(), "sha256").digest()
            self._key = ((secret, day), key)
        return self._key[1]

    def send(self, **params: Any) -> dict[str, Any]:
        context: dict[str, Any] = {"client_region": self._region}
        _, answer = self._events.emit_until_response(
            f"before-call.{self._service_id}.{OPERATION}",
            model=self._model,
            params={"body": params, "url": self._url, "method": "POST", "context": context},
            request_signer=None,
            context=context,
        )
        parsed: dict[str, Any]
        if answer is not None:  # a before-call hook answered instead of DynamoDB: (http response, parsed)
            status, parsed = answer[0].status_code, answer[1]
        else:
            status, parsed = self._send_with_retries(params)
        self._events.emit(
            f"after-call.{self._service_id}.{OPERATION}",
            http_response=None,
            parsed=parsed,
            model=self._model,
            context=context,
        )
        if status >= 300:
            code = parsed.get("Error", {}).get("Code", "")
            raise self._client.exceptions.from_code(code)(parsed, OPERATION)
        return parsed

    def _send_with_retries(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        attempt = 1
        while True:
            try:
                status, parsed = self._send_once(params)
            except (BotoConnectionError, HTTPClientError):
                if attempt >= self._attempts:
                    raise
                throttled = False
            else:
                code = parsed.get("Error", {}).get("Code", "")
                throttled = code in _THROTTLED or status == 429
                retryable = throttled or code in _TRANSIENT_CODES or status in _TRANSIENT_STATUS
                if status < 300 or not retryable or attempt >= self._attempts:
                    parsed.setdefault("ResponseMetadata", {})["RetryAttempts"] = attempt - 1
                    return status, parsed
            scale = _THROTTLING_SCALE if throttled else _OTHER_SCALE
            self._sleep(random.random() * min(scale * 2 ** (attempt - 1), _MAX_BACKOFF))
            attempt += 1

    def _send_once(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        prepared = self.request(params)
        _, response = self._events.emit_until_response(
            f"before-send.{self._service_id}.{OPERATION}", request=prepared
        )
        if response is None:
            response = self._http.send(prepared)
        body: bytes = response.content
        crc = response.headers.get("x-amz-crc32")
        if crc is not None and zlib.crc32(body) & 0xFFFFFFFF != int(crc):
            raise HTTPClientError(error=f"CRC32 check failed on {OPERATION}'s answer")
        return response.status_code, self._parse(response.status_code, response.headers, body)

    @staticmethod
    def _parse(status: int, headers: Any, body: bytes) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(body) if body else {}
        metadata = {
            "RequestId": headers.get("x-amzn-RequestId", ""),
            "HTTPStatusCode": status,
            "HTTPHeaders": {k.lower(): v for k, v in headers.items()},
        }
        if status < 300:
            return {**data, "ResponseMetadata": metadata}
        kind = str(data.get("__type") or headers.get("x-amzn-ErrorType") or "").split(":")[0]
        code = kind.rsplit("#", 1)[-1]
        message = data.get("message", data.get("Message", ""))
        parsed: dict[str, Any] = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": metadata}
        if "CancellationReasons" in data:
            parsed["CancellationReasons"] = [_reason(r) for r in data["CancellationReasons"]]
            parsed["Message"] = message
        return parsed
