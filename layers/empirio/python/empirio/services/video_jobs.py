"""Video jobs after their start: observe one (a poll, a download, the list, or the sweeper), record its progress,
and when it ends record that once: a completed job's MP4 is kept in S3, its seconds measured from the file and
charged against the hold taken at creation; a failed, cancelled or overdue job is charged nothing. The ledger's
hold resolves once (settle or void, conditionally), so however many observers see the end at the same time, the
account is charged once; the job item's end is one conditional write too, and the others read it back."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from empirio.domain import mp4
from empirio.domain.accounts import Principal
from empirio.domain.attribution import App
from empirio.domain.catalog import CatalogModel, Pricing
from empirio.domain.media import VideoProgress
from empirio.domain.pricing import Cost, Usage, price_parts
from empirio.domain.usage_record import Outcome, Units, unit_outcome
from empirio.providers.base import UpstreamError, VideoGenerator
from empirio.providers.registry import capability
from empirio.services.metering import MeterRequest
from empirio.store.jobs import OPEN
from empirio.store.ledger import hold_from_entry

if TYPE_CHECKING:
    from empirio.domain.catalog import Catalog
    from empirio.services.metering import Meter
    from empirio.store.blobs import BlobStore
    from empirio.store.jobs import JobStore
    from empirio.store.ledger import LedgerStore

logger = logging.getLogger("empirio.videos")
HOLD_SECONDS = 6 * 3600  # a job not ended by then is failed and its hold released (the sweeper checks)
RESULT_SECONDS = 7 * 86400  # how long a result is kept (the bucket's lifecycle rule expires it)
ENDPOINT = "/v1/videos"


def result_key(account_id: str, job_id: str) -> str:
    return f"videos/{account_id}/{job_id}.mp4"


def output_prefix(account_id: str, job_id: str) -> str:
    """Where a provider that writes to S3 itself (Bedrock) is told to put the result."""
    return f"videos/{account_id}/{job_id}"


class VideoJobs:
    """Video jobs after their start, over the catalog, the jobs, the results' bucket, the ledger and the meter."""

    def __init__(
        self, catalog: Catalog, jobs: JobStore, blobs: BlobStore, ledger: LedgerStore, meter: Meter
    ) -> None:
        self.catalog, self.jobs, self.blobs, self.ledger, self.meter = catalog, jobs, blobs, ledger, meter

    def job_model(self, job: dict[str, Any]) -> CatalogModel | None:
        """The job's model with the prices it was admitted at (a catalog change never reprices a running job)."""
        model = self.catalog.get(job["model"])
        if model is None:
            return None
        return model.model_copy(update={"pricing": Pricing.model_validate(job["pricing"])})

    async def observe(self, job: dict[str, Any]) -> dict[str, Any]:
        """The job as it stands now: asks the upstream about an open one and records what changed."""
        if job["status"] not in OPEN:
            return job
        model = self.job_model(job)
        generator = capability(job["provider"], VideoGenerator)
        now = time.time()
        # Overdue ten minutes before the hold would expire.
        overdue = now > int(job["created_at"]) + HOLD_SECONDS - 600
        if model is None or generator is None:
            progress = VideoProgress("failed", error="The model of this job is no longer served.")
        else:
            try:
                progress = await generator.video_status(job["reference"], model)
            except UpstreamError as error:
                if not overdue:
                    logger.info("video %s: status unavailable (%s); still open", job["job_id"], error.message)
                    return job
                progress = VideoProgress("failed", error="The job did not finish in time.")
        if progress.status in OPEN and overdue:
            progress = VideoProgress("failed", error="The job did not finish in time.")
        if progress.status in OPEN:
            if (progress.status, progress.progress) == (job["status"], int(job.get("progress") or 0)):
                return job  # nothing new: no write
            await asyncio.to_thread(
                self.jobs.advance, job["account_id"], job["job_id"], progress.status, progress.progress
            )
            return {
                **job,
                "status": progress.status,
                "progress": max(progress.progress, int(job["progress"])),
            }
        if progress.status == "completed" and model is not None and generator is not None:
            try:
                return await self._complete(job, model, generator, progress)
            except UpstreamError as error:  # the result could not be fetched: try again at the next look
                logger.warning("video %s: result not fetched (%s)", job["job_id"], error.message)
                return job
        return await asyncio.to_thread(self._fail, job, model, progress.error or "The job failed.")

    async def _complete(
        self,
        job: dict[str, Any],
        model: CatalogModel,
        generator: VideoGenerator,
        progress: VideoProgress,
    ) -> dict[str, Any]:
        """Keep the MP4, measure it, settle the hold (once, whoever gets here first), record the end."""
        if progress.stored_key:
            key = progress.stored_key
            data = await asyncio.to_thread(self.blobs.get, key)
            if data is None:
                raise UpstreamError(502, "The job's result is not in the bucket yet.")
        else:
            key = result_key(job["account_id"], job["job_id"])
            data = await generator.video_content(job["reference"], model)
            await asyncio.to_thread(self.blobs.put, key, data, "video/mp4")
        return await asyncio.to_thread(self._settle_completed, job, model, progress, key, data)

    def _settle_completed(
        self,
        job: dict[str, Any],
        model: CatalogModel,
        progress: VideoProgress,
        key: str,
        data: bytes,
    ) -> dict[str, Any]:
        account_id, job_id = job["account_id"], job["job_id"]
        measured = mp4.seconds(data) or progress.seconds or Fraction(int(job["seconds"]))
        billed = min(
            math.ceil(measured - Fraction(1, 1000)), int(job["seconds"])
        )  # whole seconds, never past asked
        now = time.time()
        entry = self.ledger.hold_entry(account_id, job_id)
        if entry is None:
            raise UpstreamError(502, "The job's hold is missing.")
        hold = hold_from_entry(entry)
        record = _record(job, model, now, units=Units(video_ms=round(measured * 1000)))
        settled = self.meter.settle_hold(
            _request(job, model), hold, Usage(video_seconds=Fraction(billed)), record
        )
        if not (settled.result.settled or settled.result.already):
            # The hold was released first: a deletion cancelled the job, or it outlived its hold. Nothing charged.
            logger.warning(
                "video %s completed after its hold was %s", job_id, settled.result.extra.get("status")
            )
            billed, charged = 0, 0
        else:
            charged = settled.charged
        ended = {
            "status": "completed",
            "progress": 100,
            "completed_at": int(now),
            "expires_at": int(now) + RESULT_SECONDS,
            "content_key": key,
            "content_bytes": len(data),
            "billed_seconds": billed,
            "charged": charged,
        }
        other = self.jobs.end(account_id, job_id, ended)
        return {**job, **ended} if other is None else other

    def _fail(self, job: dict[str, Any], model: CatalogModel | None, message: str) -> dict[str, Any]:
        account_id, job_id = job["account_id"], job["job_id"]
        entry = self.ledger.hold_entry(account_id, job_id)
        now = time.time()
        if entry is not None and model is not None:
            self.meter.void_hold(
                _request(job, model), hold_from_entry(entry), _record(job, model, now, message)
            )
        elif entry is not None:
            self.ledger.void(hold_from_entry(entry))
        ended = {
            "status": "failed",
            "completed_at": int(now),
            "error": {"code": "video_generation_failed", "message": message[:500]},
            "billed_seconds": 0,
            "charged": 0,
        }
        other = self.jobs.end(account_id, job_id, ended)
        return {**job, **ended} if other is None else other

    async def cancel(self, job: dict[str, Any]) -> None:
        """A deletion: an open job is failed (nothing charged) before its item and result go."""
        await asyncio.to_thread(self._delete, job)

    def _delete(self, job: dict[str, Any]) -> None:
        if job["status"] in OPEN:
            self._fail(job, self.job_model(job), "Cancelled: the video was deleted before it was done.")
        current = self.jobs.get(job["account_id"], job["job_id"]) or job
        if current.get("content_key"):
            self.blobs.delete(current["content_key"])
        self.jobs.delete(job["account_id"], job["job_id"])

    async def poll_open(self, limit: int = 200) -> int:
        """The sweeper's pass: observe every open job, so each ends (and is settled) even if no one asks again."""
        ended = 0
        for item in self.jobs.open_jobs(limit):
            job = self.jobs.get(item["account_id"], item["job_id"])
            if job is None or job["status"] not in OPEN:
                continue
            if (await self.observe(job))["status"] not in OPEN:
                ended += 1
        return ended


def charge_of(job: dict[str, Any]) -> Cost | None:
    """The ended job's charge as the answer shows it."""
    if job.get("status") not in ("completed", "failed"):
        return None
    seconds = Fraction(int(job.get("billed_seconds") or 0))
    parts = price_parts(Usage(video_seconds=seconds), Pricing.model_validate(job["pricing"]))
    return Cost(int(job.get("charged") or 0), parts if seconds else {})


def _request(job: dict[str, Any], model: CatalogModel) -> MeterRequest:
    principal = Principal(account_id=job["account_id"], key_id=job["key_id"])
    return MeterRequest(principal=principal, request_id=job["job_id"], model=model, prompt_tokens=0)


def _record(
    job: dict[str, Any], model: CatalogModel, now: float, error: str | None = None, units: Units | None = None
) -> Outcome:
    latency = round((now - float(job["created_at"])) * 1000)
    return unit_outcome(
        model.id,
        model.provider,
        ENDPOINT,
        price_version=job.get("price_version"),
        source=job.get("source", "api"),
        latency_ms=latency,
        upstream_latency_ms=latency,
        app=App(referer=job.get("http_referer"), title=job.get("app_title")),  # its name is job["app"]
        error=error,
        units=units,
    )
