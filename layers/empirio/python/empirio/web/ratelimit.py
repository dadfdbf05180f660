"""Rate-limit response headers in OpenAI's and Anthropic's names, from the buckets' state after admission."""

from __future__ import annotations

from datetime import UTC, datetime

from empirio.domain.limits import BucketState, openai_duration

POLICY = (
    "token bucket per account: a limit of L per minute has capacity L and refills at L/60 per second, so any "
    "window of t seconds admits at most L + L*t/60 (requests for rpm; prompt + max_tokens for tpm, corrected "
    "to the actual tokens when the request settles)"
)


def openai_headers(requests: BucketState, tokens: BucketState) -> dict[str, str]:
    return {
        "x-ratelimit-limit-requests": str(requests.limit),
        "x-ratelimit-remaining-requests": str(requests.remaining),
        "x-ratelimit-reset-requests": openai_duration(requests.reset_seconds),
        "x-ratelimit-limit-tokens": str(tokens.limit),
        "x-ratelimit-remaining-tokens": str(tokens.remaining),
        "x-ratelimit-reset-tokens": openai_duration(tokens.reset_seconds),
    }


def anthropic_headers(requests: BucketState, tokens: BucketState, now: float) -> dict[str, str]:
    def reset(state: BucketState) -> str:
        return datetime.fromtimestamp(now + state.reset_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    return {
        "anthropic-ratelimit-requests-limit": str(requests.limit),
        "anthropic-ratelimit-requests-remaining": str(requests.remaining),
        "anthropic-ratelimit-requests-reset": reset(requests),
        "anthropic-ratelimit-tokens-limit": str(tokens.limit),
        "anthropic-ratelimit-tokens-remaining": str(tokens.remaining),
        "anthropic-ratelimit-tokens-reset": reset(tokens),
    }
