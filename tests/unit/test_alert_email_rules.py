"""The alert address rules (pure): what a settings change does, and which tokens look like ours."""

from __future__ import annotations

import pytest

from empirio.domain.alert_email import account_of, new_confirmation, plan, status, token_hash

NOW = 1_800_000_000


@pytest.mark.parametrize(
    ("current", "confirmed", "until", "requested", "verified", "expected"),
    [
        (None, False, 0, None, None, "keep"),
        (None, False, 0, "me@example.com", "Me@Example.com", "confirm"),
        ("me@example.com", True, 0, "ME@example.com", "me@example.com", "keep"),
        ("me@example.com", False, 0, "me@example.com", "me@example.com", "confirm"),  # an older pending one
        ("ops@example.com", True, 0, "other@example.com", "me@example.com", "send"),
        ("ops@example.com", False, NOW + 60, "ops@example.com", None, "keep"),  # its link is still live
        ("ops@example.com", False, NOW, "ops@example.com", None, "resend"),  # lapsed (or never sent)
        ("ops@example.com", True, 0, "ops@example.com", None, "keep"),
        (None, False, 0, "victim@example.com", None, "send"),
    ],
)
def test_what_a_settings_change_does_to_the_address(
    current: str | None,
    confirmed: bool,
    until: int,
    requested: str | None,
    verified: str | None,
    expected: str,
) -> None:
    assert plan(current, confirmed, until, requested, verified, NOW) == expected


def test_a_token_names_its_account_and_only_its_hash_is_kept() -> None:
    made = new_confirmation("acct_123", NOW)
    assert account_of(made.token) == "acct_123" and made.hash == token_hash(made.token) != made.token
    assert made.expires_at == NOW + 24 * 3600
    assert new_confirmation("acct_123", NOW).token != made.token


@pytest.mark.parametrize("token", ["", "acct_123", "acct_123.short", ".x" * 30, "acct_1.é" + "x" * 50])
def test_tokens_not_shaped_like_ours_name_no_account(token: str) -> None:
    assert account_of(token) is None


def test_the_status_shown() -> None:
    assert status(None, False) is None
    assert status("a@example.com", False) == "pending" and status("a@example.com", True) == "confirmed"
