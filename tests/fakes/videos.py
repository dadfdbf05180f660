"""The fake upstream's video jobs: OpenAI's Videos API (create, retrieve, content) and Bedrock's StartAsyncInvoke /
GetAsyncInvoke, which writes ``output.mp4`` into the S3 bucket it was given (moto, in this process), as Bedrock
does. A job is queued for 0.1 s, in progress for 0.2 s, then completed; the upstream model ``fail-job`` ends
failed and ``fail-500`` refuses to start. The MP4s use a version-1 ``mvhd`` at 90 kHz and last 40 ms less than
asked, as encoders' files do."""

from __future__ import annotations

import copy
import itertools
import json
import struct
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

QUEUED, RENDER = 0.1, 0.2
ids = itertools.count(1)


def mp4(seconds: float) -> bytes:
    def box(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", 8 + len(payload)) + kind + payload

    mvhd = struct.pack(">B3xQQIQ", 1, 0, 0, 90_000, round((seconds - 0.04) * 90_000)) + bytes(80)
    return (
        box(b"ftyp", b"mp42" + bytes(4) + b"mp42isom")
        + box(b"moov", box(b"mvhd", mvhd))
        + box(b"mdat", b"\0" * 64)
    )


@dataclass
class Job:
    seconds: int
    model: str
    started: float = field(default_factory=time.monotonic)

    def status(self) -> tuple[str, int]:
        elapsed = time.monotonic() - self.started
        if elapsed < QUEUED:
            return "queued", 0
        if elapsed < QUEUED + RENDER:
            return "in_progress", int(100 * (elapsed - QUEUED) / RENDER)
        return ("failed" if self.model == "fail-job" else "completed"), 100


class FakeVideos:
    """Mixed into FakeUpstream (which supplies ``requests``, ``_multipart``, ``_record`` and fixtures)."""

    requests: list[dict[str, Any]]
    openai_jobs: dict[str, Job]
    bedrock_jobs: dict[str, tuple[Job, str]]

    def video_routes(self, app: web.Application) -> None:
        self.openai_jobs, self.bedrock_jobs = {}, {}
        app.router.add_post("/openai/v1/videos", self.openai_create_video)
        app.router.add_get("/openai/v1/videos/{video_id}", self.openai_video)
        app.router.add_get("/openai/v1/videos/{video_id}/content", self.openai_video_content)
        app.router.add_post("/bedrock/async-invoke", self.bedrock_start_async)
        app.router.add_get("/bedrock/async-invoke/{arn:.+}", self.bedrock_get_async)

    # -- OpenAI ----------------------------------------------------------------------------------------------
    async def openai_create_video(self, request: web.Request) -> web.StreamResponse:
        if request.content_type.startswith("multipart/"):
            fields = await self._multipart(request)  # type: ignore[attr-defined]
            if isinstance(fields, web.Response):
                return fields
        else:
            fields = await self._record(request)  # type: ignore[attr-defined]
            if not request.headers.get("authorization", "").startswith("Bearer "):
                return web.json_response({"error": {"message": "no key"}}, status=401)
        if not fields.get("prompt") or not fields.get("model") or not isinstance(fields.get("seconds"), str):
            return web.json_response(
                {"error": {"message": "prompt, model and seconds (a string)"}}, status=400
            )
        if fields["model"] == "fail-500":
            return web.json_response({"error": {"message": "internal"}}, status=500)
        video_id = f"video_fake{next(ids):06d}"
        self.openai_jobs[video_id] = Job(int(fields["seconds"]), str(fields["model"]))
        return web.json_response(self._openai_job(video_id))

    def _openai_job(self, video_id: str) -> dict[str, Any]:
        job = self.openai_jobs[video_id]
        status, progress = job.status()
        payload: dict[str, Any] = copy.deepcopy(self.fixture("openai_video.json"))  # type: ignore[attr-defined]
        payload.update(
            id=video_id, model=job.model, status=status, progress=progress, seconds=str(job.seconds)
        )
        if status == "failed":
            payload["error"] = {"code": "moderation_blocked", "message": "The prompt was refused."}
        return payload

    async def openai_video(self, request: web.Request) -> web.StreamResponse:
        video_id = request.match_info["video_id"]
        self.requests.append({"path": request.path, "headers": dict(request.headers), "body": {}})
        if video_id not in self.openai_jobs:
            return web.json_response({"error": {"message": "not found"}}, status=404)
        return web.json_response(self._openai_job(video_id))

    async def openai_video_content(self, request: web.Request) -> web.StreamResponse:
        video_id = request.match_info["video_id"]
        self.requests.append({"path": request.path, "headers": dict(request.headers), "body": {}})
        job = self.openai_jobs.get(video_id)
        if job is None or job.status()[0] != "completed":
            return web.json_response({"error": {"message": "Video is not ready"}}, status=404)
        return web.Response(body=mp4(job.seconds), content_type="video/mp4")

    # -- Bedrock ---------------------------------------------------------------------------------------------
    async def bedrock_start_async(self, request: web.Request) -> web.StreamResponse:
        body = await self._record(request)  # type: ignore[attr-defined]
        if not request.headers.get("authorization", "").startswith("AWS4-HMAC-SHA256"):
            return web.json_response({"message": "missing SigV4"}, status=403)
        model_input = body.get("modelInput") or {}
        uri = ((body.get("outputDataConfig") or {}).get("s3OutputDataConfig") or {}).get("s3Uri", "")
        valid = (
            str(body.get("modelId")).startswith("luma.")
            and model_input.get("duration") in ("5s", "9s")
            and model_input.get("resolution") in ("540p", "720p")
            and isinstance(model_input.get("prompt"), str)
            and uri.startswith("s3://")
        )
        if not valid:
            return web.json_response(
                {"message": "modelInput is not valid for this model"},
                status=400,
                headers={"x-amzn-errortype": "ValidationException"},
            )
        invocation = f"inv{next(ids):06d}"
        seconds = int(model_input["duration"].removesuffix("s"))
        model = "fail-job" if str(body["modelId"]).endswith("fail-job") else str(body["modelId"])
        self.bedrock_jobs[invocation] = (Job(seconds, model), uri)
        return web.json_response(
            {"invocationArn": f"arn:aws:bedrock:us-east-1:123456789012:async-invoke/{invocation}"}
        )

    async def bedrock_get_async(self, request: web.Request) -> web.StreamResponse:
        arn = request.match_info["arn"]
        self.requests.append({"path": request.path, "headers": dict(request.headers), "body": {}})
        invocation = arn.rsplit("/", 1)[-1]
        if invocation not in self.bedrock_jobs:
            return web.json_response(
                {"message": "not found"},
                status=404,
                headers={"x-amzn-errortype": "ResourceNotFoundException"},
            )
        job, uri = self.bedrock_jobs[invocation]
        status, _ = job.status()
        payload: dict[str, Any] = copy.deepcopy(self.fixture("bedrock_async_invoke.json"))  # type: ignore[attr-defined]
        payload.update(invocationArn=arn, outputDataConfig={"s3OutputDataConfig": {"s3Uri": uri}})
        if status == "completed":
            bucket, _, prefix = uri.removeprefix("s3://").partition("/")
            await self._put_output(bucket, f"{prefix.rstrip('/')}/{invocation}/output.mp4", job.seconds)
            payload.update(status="Completed", endTime="2026-11-30T12:01:30Z")
        elif status == "failed":
            payload.update(status="Failed", failureMessage="The model could not generate this video.")
        return web.json_response(payload)

    @staticmethod
    async def _put_output(bucket: str, key: str, seconds: int) -> None:
        """Bedrock writes the result into the caller's bucket (moto's, in this test process)."""
        import asyncio

        import boto3

        def put() -> None:
            s3 = boto3.client("s3", region_name="us-east-1")
            s3.put_object(Bucket=bucket, Key=key, Body=mp4(seconds), ContentType="video/mp4")
            s3.put_object(
                Bucket=bucket, Key=key.rsplit("/", 1)[0] + "/manifest.json", Body=json.dumps({}).encode()
            )

        await asyncio.to_thread(put)
