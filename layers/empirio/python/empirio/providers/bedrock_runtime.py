"""Bedrock's transport: boto3 ``bedrock-runtime``, run in worker threads so the event loop never blocks,
with its failures mapped like every upstream's (throttling → 429, validation → 400, timeouts → 504)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ReadTimeoutError

from empirio.providers.base import UpstreamError

_END = object()


@lru_cache(maxsize=16)
def _client(region: str, endpoint_url: str | None, retry: bool = True) -> Any:
    # botocore's max_attempts counts retries (3: up to 4 calls); total_max_attempts counts every call
    retries: Any = {"max_attempts": 3, "mode": "adaptive"} if retry else {"total_max_attempts": 1}
    config = Config(connect_timeout=10, read_timeout=300, retries=retries)
    return boto3.client("bedrock-runtime", region_name=region, endpoint_url=endpoint_url, config=config)


# AWS errors that mean the request itself was refused (Bedrock's, and Polly's own names for them).
REFUSALS = {
    "ValidationException",
    "ResourceNotFoundException",
    "TextLengthExceededException",
    "InvalidSsmlException",
    "InvalidSampleRateException",
    "EngineNotSupportedException",
    "LanguageNotSupportedException",
    "LexiconNotFoundException",
}


def mapped(error: Exception) -> UpstreamError:
    if isinstance(error, ReadTimeoutError):
        return UpstreamError(504, "The upstream provider timed out.")
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", code)
        if code in {"ThrottlingException", "ServiceQuotaExceededException"}:
            return UpstreamError(429, f"The upstream provider is rate limiting: {message}", retry_after="1")
        if code in REFUSALS:
            return UpstreamError(400, f"The upstream provider refused the request: {message}")
        if code == "ModelTimeoutException":
            return UpstreamError(504, "The upstream provider timed out.")
        return UpstreamError(502, f"The upstream provider failed ({code}).")
    return UpstreamError(502, f"Could not reach the upstream provider ({type(error).__name__}).")


async def converse(
    region: str, endpoint_url: str | None, kwargs: dict[str, Any], retry: bool = True
) -> dict[str, Any]:
    try:
        result: dict[str, Any] = await asyncio.to_thread(
            _client(region, endpoint_url, retry).converse, **kwargs
        )
        return result
    except (ClientError, BotoCoreError) as error:
        raise mapped(error) from None


async def invoke(
    region: str, endpoint_url: str | None, model_id: str, body: dict[str, Any]
) -> tuple[dict[str, Any], int | None]:
    """InvokeModel with a JSON body and answer (embeddings, images), and the input tokens Bedrock counted (its
    ``x-amzn-bedrock-input-token-count`` header; None when the model sends none)."""

    def call() -> tuple[dict[str, Any], int | None]:
        response = _client(region, endpoint_url).invoke_model(
            modelId=model_id, body=json.dumps(body), contentType="application/json", accept="application/json"
        )
        parsed: dict[str, Any] = json.loads(response["body"].read())
        headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        counted = headers.get("x-amzn-bedrock-input-token-count")
        return parsed, int(counted) if counted is not None and str(counted).isdigit() else None

    try:
        return await asyncio.to_thread(call)
    except (ClientError, BotoCoreError) as error:
        raise mapped(error) from None


async def invoke_json(
    region: str, endpoint_url: str | None, model_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    return (await invoke(region, endpoint_url, model_id, body))[0]


async def start_async_invoke(
    region: str,
    endpoint_url: str | None,
    model_id: str,
    model_input: dict[str, Any],
    output_uri: str,
    token: str,
) -> str:
    """StartAsyncInvoke (video): the job writes its result under ``output_uri`` (S3); ``token`` makes a retried
    start the same job. Returns the invocation ARN."""

    def call() -> str:
        response = _client(region, endpoint_url).start_async_invoke(
            modelId=model_id,
            modelInput=model_input,
            outputDataConfig={"s3OutputDataConfig": {"s3Uri": output_uri}},
            clientRequestToken=token,
        )
        return str(response["invocationArn"])

    try:
        return await asyncio.to_thread(call)
    except (ClientError, BotoCoreError) as error:
        raise mapped(error) from None


async def get_async_invoke(region: str, endpoint_url: str | None, arn: str) -> dict[str, Any]:
    try:
        result: dict[str, Any] = await asyncio.to_thread(
            _client(region, endpoint_url).get_async_invoke, invocationArn=arn
        )
        return result
    except (ClientError, BotoCoreError) as error:
        raise mapped(error) from None


async def converse_stream(
    region: str, endpoint_url: str | None, kwargs: dict[str, Any], retry: bool = True
) -> AsyncIterator[dict[str, Any]]:
    """Events of ConverseStream; a thread reads botocore's blocking stream and hands events to the loop. Leaving
    the iteration early (the client went away) closes the upstream connection and ends the thread."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Any] = asyncio.Queue()
    stop = threading.Event()
    streams: list[Any] = []

    def hand(item: Any) -> None:
        if stop.is_set():
            return
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the loop is gone: no one is reading any more
            stop.set()

    def read() -> None:
        try:
            response = _client(region, endpoint_url, retry).converse_stream(**kwargs)
            streams.append(response["stream"])
            for event in response["stream"]:
                if stop.is_set():
                    break
                hand(event)
        except (ClientError, BotoCoreError) as error:
            hand(mapped(error))
        except Exception as error:  # surfaced to the caller, not lost in the thread
            hand(UpstreamError(502, f"Bedrock stream failed: {error}"))
        finally:
            hand(_END)

    threading.Thread(target=read, name="bedrock-stream", daemon=True).start()
    try:
        while True:
            item = await queue.get()
            if item is _END:
                return
            if isinstance(item, UpstreamError):
                raise item
            yield item
    finally:
        stop.set()
        for stream in streams:
            stream.close()  # cancels the upstream call; the reading thread ends at its next read
