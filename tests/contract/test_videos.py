"""``/v1/videos`` with the official SDK: create, poll, download and list against local/video, an OpenAI-shaped
upstream and Bedrock's asynchronous invoke (which writes into our bucket). The hold is the requested seconds at
the model's rate; the charge is the seconds measured from the MP4, once, whoever observes the end first; a failed
or cancelled job charges nothing."""

from __future__ import annotations

import threading
import time
import warnings
from typing import Any

import openai
import pytest

from empirio.domain import mp4
from empirio.services import video_jobs
from tests.contract.conftest import Gateway

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the SDK marks videos.* deprecated


def _wait(client: openai.OpenAI, video_id: str, timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        video = client.videos.retrieve(video_id)
        if video.status in ("completed", "failed") or time.monotonic() > deadline:
            return video
        time.sleep(0.05)


def _held(gateway: Gateway) -> int:
    return gateway.context.accounts.require(gateway.account_id).held


def test_local_video_create_poll_download_charges_the_seconds_made(gateway: Gateway) -> None:
    client = gateway.openai()
    before = gateway.balance()
    raw = client.videos.with_raw_response.create(model="local/video", prompt="a fox in snow", seconds="8")
    video = raw.parse()
    assert raw.headers["x-request-id"] and video.id.startswith("video_")
    assert video.status == "queued" and video.seconds == "8" and video.model == "local/video"
    assert _held(gateway) == 8 * 50_000  # $0.05 a second, held at creation
    assert gateway.balance() == before - 400_000
    done = _wait(client, video.id)
    assert done.status == "completed" and done.progress == 100
    assert done.model_extra["cost"] == 0.4  # type: ignore[index]
    data = client.videos.download_content(video.id).content
    assert mp4.seconds(data) == 8 and mp4.comment(data) == "a fox in snow"
    assert gateway.balance() == before - 400_000 and _held(gateway) == 0
    record = next(r for r in gateway.usage_records() if r["request_id"] == video.id)
    assert (record["endpoint"], record["video_ms"], record["cost"]) == ("/v1/videos", 8000, 400_000)
    listed = client.videos.list()
    assert [v.id for v in listed.data] == [video.id] and listed.data[0].status == "completed"


def test_the_sdk_create_and_poll_helper_works(gateway: Gateway) -> None:
    client = gateway.openai()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        video = client.videos.create_and_poll(
            model="local/video", prompt="waves", seconds="4", size="1280x720", poll_interval_ms=50
        )
    assert video.status == "completed" and video.size == "1280x720"


def test_an_openai_upstream_job_is_downloaded_into_our_bucket_and_charged_measured_seconds(
    gateway: Gateway,
) -> None:
    client = gateway.openai()
    before = gateway.balance()
    video = client.videos.create(model="test/openai-video", prompt="a cat on a piano", seconds="8")
    sent = gateway.upstream.last("/openai/v1/videos")["body"]
    assert sent == {"model": "sora-2", "prompt": "a cat on a piano", "seconds": "8", "size": "720x1280"}
    done = _wait(client, video.id)
    assert done.status == "completed"
    raw = client.videos.with_raw_response.download_content(video.id)
    data = raw.content
    assert 7.9 < float(mp4.seconds(data) or 0) < 8  # the upstream's file: 7.96 s, billed as 8 whole seconds
    assert (
        gateway.balance()
        == before - 8 * 100_000
        == before - round(float(raw.headers["x-empirio-cost"]) * 1e6)
    )
    stored = gateway.context.blobs.get(video_jobs.result_key(gateway.account_id, video.id))
    assert stored == data


def test_a_failed_job_charges_nothing(gateway: Gateway) -> None:
    client = gateway.openai()
    before = gateway.balance()
    video = client.videos.create(model="test/openai-video-fail", prompt="something refused", seconds="4")
    assert gateway.balance() == before - 400_000
    done = _wait(client, video.id)
    assert done.status == "failed" and done.error is not None and "refused" in done.error.message
    assert gateway.balance() == before and _held(gateway) == 0
    record = next(r for r in gateway.usage_records() if r["request_id"] == video.id)
    assert record["cost"] == 0 and record["billing_status"] == "not_charged"
    with pytest.raises(openai.BadRequestError) as refused:
        client.videos.download_content(video.id)
    assert refused.value.code == "video_not_ready"


def test_an_upstream_that_refuses_to_start_gets_an_error_and_no_job(gateway: Gateway) -> None:
    client = gateway.openai()
    before = gateway.balance()
    with pytest.raises(openai.APIStatusError) as failed:
        client.videos.create(model="test/openai-video-fail-500", prompt="x", seconds="4")
    assert failed.value.status_code == 502
    assert gateway.balance() == before and _held(gateway) == 0
    assert client.videos.list().data == []


def test_ten_concurrent_pollers_of_one_finished_job_settle_it_once(gateway: Gateway) -> None:
    client = gateway.openai()
    before = gateway.balance()
    video = client.videos.create(model="test/openai-video", prompt="once", seconds="4")
    time.sleep(videos_done_after := 0.35)
    assert videos_done_after > 0.3
    barrier = threading.Barrier(10)
    seen: list[Any] = []

    def poll() -> None:
        barrier.wait()
        seen.append(gateway.openai().videos.retrieve(video.id))

    threads = [threading.Thread(target=poll) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [v.status for v in seen] == ["completed"] * 10
    assert {v.model_extra["cost"] for v in seen} == {0.4}  # type: ignore[index]
    assert gateway.balance() == before - 400_000 and _held(gateway) == 0
    entries = gateway.context.ledger.entries(gateway.account_id)
    (hold,) = [e for e in entries if e.get("request_id") == video.id]
    assert hold["kind"] == "hold" and hold["status"] == "settled" and hold["charge"] == 400_000
    assert sum(1 for r in gateway.usage_records() if r["request_id"] == video.id) == 1


def test_bedrock_writes_the_video_into_our_bucket_and_is_charged_its_seconds(gateway: Gateway) -> None:
    client = gateway.openai()
    before = gateway.balance()
    video = client.videos.create(
        model="test/bedrock-video", prompt="a lighthouse", seconds="5", size="1280x720"
    )
    sent = gateway.upstream.last("/bedrock/async-invoke")["body"]
    assert sent["modelId"] == "luma.ray-v2:0"
    assert sent["modelInput"] == {
        "prompt": "a lighthouse",
        "aspect_ratio": "16:9",
        "loop": False,
        "duration": "5s",
        "resolution": "720p",
    }
    bucket = gateway.context.settings.videos_bucket
    assert sent["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"] == (
        f"s3://{bucket}/videos/{gateway.account_id}/{video.id}"
    )
    assert sent["clientRequestToken"] == video.id.replace("_", "-")
    done = _wait(client, video.id)
    assert done.status == "completed"
    data = client.videos.download_content(video.id).content
    assert 4.9 < float(mp4.seconds(data) or 0) < 5
    assert gateway.balance() == before - 5 * 1_500_000


def test_bedrock_refuses_a_duration_the_model_cannot_make_and_nothing_is_held(gateway: Gateway) -> None:
    client = gateway.openai()
    before = gateway.balance()
    with pytest.raises(openai.BadRequestError):
        client.videos.create(model="test/bedrock-video", prompt="a lighthouse", seconds="4")
    assert gateway.balance() == before and _held(gateway) == 0


def test_a_failed_bedrock_job_charges_nothing(gateway: Gateway) -> None:
    client = gateway.openai()
    before = gateway.balance()
    video = client.videos.create(model="test/bedrock-video-fail", prompt="x", seconds="5")
    done = _wait(client, video.id)
    assert done.status == "failed" and gateway.balance() == before


def test_the_sweeper_settles_a_job_no_one_asks_about_again(gateway: Gateway) -> None:
    import asyncio

    client = gateway.openai()
    before = gateway.balance()
    video = client.videos.create(model="local/video", prompt="unwatched", seconds="2")
    time.sleep(0.2)
    assert asyncio.run(gateway.context.video_jobs.poll_open()) == 1
    job = gateway.context.jobs.get(gateway.account_id, video.id)
    assert job is not None and job["status"] == "completed"
    assert gateway.balance() == before - 100_000 and _held(gateway) == 0
    assert asyncio.run(gateway.context.video_jobs.poll_open()) == 0


def test_deleting_an_unfinished_job_cancels_it_without_charge(gateway: Gateway) -> None:
    client = gateway.openai()
    before = gateway.balance()
    video = client.videos.create(model="local/video", prompt="never mind", seconds="60")
    deleted = client.videos.delete(video.id)
    assert deleted.deleted and deleted.id == video.id
    assert gateway.balance() == before and _held(gateway) == 0
    with pytest.raises(openai.NotFoundError):
        client.videos.retrieve(video.id)


def test_a_job_the_balance_cannot_cover_is_refused_before_it_starts(gateway: Gateway) -> None:
    client = gateway.openai()
    sent = len(gateway.upstream.requests)
    with pytest.raises(openai.APIStatusError) as refused:  # 9 s at $1.50 on a $10 balance
        client.videos.create(model="test/bedrock-video", prompt="long", seconds="9")
    assert refused.value.status_code == 402 and "$13.50" in refused.value.message
    assert len(gateway.upstream.requests) == sent
    assert client.videos.list().data == [] and _held(gateway) == 0


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"prompt": "x", "seconds": "4"}, "model"),
        ({"model": "local/video", "seconds": "4"}, "prompt"),
        ({"model": "local/video", "prompt": "x", "seconds": "0"}, "seconds"),
        ({"model": "local/video", "prompt": "x", "seconds": "4", "size": "big"}, "size"),
    ],
)
def test_bad_fields_are_named(gateway: Gateway, fields: dict[str, str], param: str) -> None:
    response = gateway.client.post(
        "/v1/videos", headers={"Authorization": f"Bearer {gateway.key}"}, files={"x": ("", b"")}, data=fields
    )
    assert response.status_code == 400 and response.json()["error"]["param"] == param


def test_another_accounts_video_is_not_found(gateway: Gateway) -> None:
    video = gateway.openai().videos.create(model="local/video", prompt="mine", seconds="4")
    other = gateway.operator.create_account("other", "1.00")
    other_key = gateway.operator.create_key(other["id"])
    stranger = openai.OpenAI(
        base_url="http://testserver/v1", api_key=other_key, http_client=gateway.client, max_retries=0
    )
    with pytest.raises(openai.NotFoundError):
        stranger.videos.retrieve(video.id)
    with pytest.raises(openai.NotFoundError):
        stranger.videos.download_content(video.id)


def test_an_input_reference_image_goes_upstream_as_a_file(gateway: Gateway) -> None:
    from empirio.providers.local import png

    image = png(8, 8, b"\x01\x02\x03\x04\x05\x06")
    video = gateway.openai().videos.create(
        model="test/openai-video",
        prompt="animate this",
        seconds="4",
        input_reference=("first.png", image, "image/png"),
    )
    sent = gateway.upstream.last("/openai/v1/videos")["body"]
    assert sent["input_reference"] == {
        "filename": "first.png",
        "content_type": "image/png",
        "bytes": len(image),
    }
    assert sent["prompt"] == "animate this" and video.status == "queued"


def test_an_input_reference_that_is_not_an_image_is_refused_before_anything_is_held(gateway: Gateway) -> None:
    before = gateway.balance()
    with pytest.raises(openai.BadRequestError) as refused:
        gateway.openai().videos.create(
            model="local/video", prompt="x", seconds="4", input_reference=("a.txt", b"hello", "text/plain")
        )
    assert refused.value.body["param"] == "input_reference"  # type: ignore[index]
    assert gateway.balance() == before


def test_a_retried_creation_with_its_idempotency_key_is_the_same_job_held_once(gateway: Gateway) -> None:
    client = gateway.openai()
    before = gateway.balance()
    first = client.videos.with_raw_response.create(
        model="local/video", prompt="once", seconds="4", extra_headers={"Idempotency-Key": "video-1"}
    )
    again = client.videos.with_raw_response.create(
        model="local/video", prompt="once", seconds="4", extra_headers={"Idempotency-Key": "video-1"}
    )
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.parse().id == first.parse().id
    assert gateway.balance() == before - 200_000 and len(client.videos.list().data) == 1
