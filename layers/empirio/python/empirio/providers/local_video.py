"""``local/video`` (offline): a job that is queued for a moment, renders for 20 ms a second of video, and ends
with a real MP4 of the requested length (an ISO BMFF file with its duration set and the prompt in its comment;
no frames). A size over 1920 a side fails the job, as an upstream's refusal would, so the failure path can be
tried locally. The job's reference carries everything, so any process can observe it."""

from __future__ import annotations

import json
import time
from fractions import Fraction

from empirio.domain import mp4
from empirio.domain.media import VideoProgress, VideoRequest

QUEUED_SECONDS = 0.1
RENDER_SECONDS_PER_SECOND = 0.02
MAX_SIDE = 1920


def start(request: VideoRequest, now: float | None = None) -> str:
    return json.dumps(
        {
            "started": time.time() if now is None else now,
            "seconds": request.seconds,
            "width": request.width,
            "height": request.height,
            "prompt": request.prompt,
        },
        separators=(",", ":"),
    )


def status(reference: str, now: float | None = None) -> VideoProgress:
    job = json.loads(reference)
    elapsed = (time.time() if now is None else now) - float(job["started"])
    if elapsed < QUEUED_SECONDS:
        return VideoProgress("queued")
    render = RENDER_SECONDS_PER_SECOND * int(job["seconds"])
    if elapsed < QUEUED_SECONDS + render:
        return VideoProgress("in_progress", min(99, int(100 * (elapsed - QUEUED_SECONDS) / render)))
    if max(int(job["width"]), int(job["height"])) > MAX_SIDE:
        return VideoProgress("failed", error=f"local/video renders at most {MAX_SIDE} pixels a side.")
    return VideoProgress("completed", 100, Fraction(int(job["seconds"])))


def content(reference: str) -> bytes:
    job = json.loads(reference)
    return mp4.build(Fraction(int(job["seconds"])), int(job["width"]), int(job["height"]), str(job["prompt"]))
