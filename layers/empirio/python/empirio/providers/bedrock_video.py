"""Video on Bedrock (pure): the ``modelInput`` of StartAsyncInvoke for Luma Ray 2 and Amazon Nova Reel, and
GetAsyncInvoke's answer as a job's progress. Bedrock writes ``output.mp4`` under the output S3 URI, in a folder
named after the invocation; its seconds are measured from the file when the job ends."""

from __future__ import annotations

from typing import Any

from empirio.domain.catalog import CatalogModel
from empirio.domain.media import VideoProgress, VideoRequest
from empirio.providers.base import UpstreamError

LUMA_SECONDS = (5, 9)
LUMA_RATIOS = {
    "1:1": 1.0,
    "16:9": 16 / 9,
    "9:16": 9 / 16,
    "4:3": 4 / 3,
    "3:4": 3 / 4,
    "21:9": 21 / 9,
    "9:21": 9 / 21,
}
NOVA_REEL_SIZE = "1280x720"
_STATUS = {"InProgress": "in_progress", "Completed": "completed", "Failed": "failed"}


def _luma(request: VideoRequest) -> dict[str, Any]:
    if request.seconds not in LUMA_SECONDS:
        raise UpstreamError(400, 'Luma Ray 2 makes videos of 5 or 9 seconds; ask for seconds "5" or "9".')
    ratio = request.width / request.height
    aspect = min(LUMA_RATIOS, key=lambda name: abs(LUMA_RATIOS[name] - ratio))
    return {
        "prompt": request.prompt[:5000],
        "aspect_ratio": aspect,
        "loop": False,
        "duration": f"{request.seconds}s",
        "resolution": "720p" if min(request.width, request.height) >= 720 else "540p",
    }


def _nova_reel(request: VideoRequest) -> dict[str, Any]:
    if request.asked_size not in (None, NOVA_REEL_SIZE):
        raise UpstreamError(400, f"Nova Reel makes {NOVA_REEL_SIZE} videos.")
    config = {"durationSeconds": request.seconds, "fps": 24, "dimension": NOVA_REEL_SIZE}
    if request.seconds == 6:
        return {
            "taskType": "TEXT_VIDEO",
            "textToVideoParams": {"text": request.prompt[:512]},
            "videoGenerationConfig": config,
        }
    if request.seconds % 6 or not 12 <= request.seconds <= 120:
        raise UpstreamError(400, "Nova Reel makes 6 seconds, or a multiple of 6 from 12 to 120.")
    return {
        "taskType": "MULTI_SHOT_AUTOMATED",
        "multiShotAutomatedParams": {"text": request.prompt[:4000]},
        "videoGenerationConfig": config,
    }


def model_input(request: VideoRequest, model: CatalogModel) -> dict[str, Any]:
    if model.upstream_model.startswith("luma."):
        return _luma(request)
    if model.upstream_model.startswith("amazon.nova-reel"):
        return _nova_reel(request)
    raise UpstreamError(400, f"{model.id} is not a video model this gateway knows how to call on Bedrock.")


def parse_status(payload: dict[str, Any], output_uri: str) -> VideoProgress:
    """GetAsyncInvoke's answer; once completed, the key of ``output.mp4`` in the bucket of ``output_uri`` (where
    the job was told to write)."""
    status = _STATUS.get(str(payload["status"]))
    if status is None:
        raise ValueError(f"unknown async invoke status {payload['status']!r}")
    if status == "failed":
        return VideoProgress("failed", error=str(payload.get("failureMessage") or "Bedrock failed the job."))
    if status == "in_progress":
        return VideoProgress("in_progress")
    uri = str(payload["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"]).rstrip("/")
    invocation = str(payload["invocationArn"]).rsplit("/", 1)[-1]
    prefix = "s3://" + output_uri.removeprefix("s3://").split("/", 1)[0] + "/"
    if not uri.startswith(prefix):
        raise ValueError("the result is outside the gateway's bucket")
    folder = uri.removeprefix(prefix)
    if not folder.endswith(invocation):
        folder = f"{folder}/{invocation}"
    return VideoProgress("completed", 100, stored_key=f"{folder}/output.mp4")
