"""Local identity is as strict as Cognito: the dev server's codes are ones it issued (printed as `outbox:` lines),
they expire, work once, and a wrong one is refused the same way for sign-up verification and password reset."""

from __future__ import annotations

import re
import time
from typing import Any

from starlette.testclient import TestClient

from empirio_cli.local_cognito import codes_of
from tests.conftest import PASSWORD, code_in, outbox_lines, sign_up

ORIGIN = {"origin": "http://localhost"}
REFUSED = "That code is not valid or has expired. Ask for a new one."
NEW_PASSWORD = "N3w-password!"


def browser(app: Any) -> TestClient:
    return TestClient(app, base_url="http://localhost")


def ask_reset(app: Any, email: str) -> str:
    with outbox_lines() as sent:
        asked = browser(app).post("/console/reset", data={"email": email}, headers=ORIGIN)
    assert asked.status_code == 200 and "Choose a new password" in asked.text
    return code_in(sent, email)


def reset(app: Any, email: str, code: str, password: str = NEW_PASSWORD) -> Any:
    return browser(app).post(
        "/console/reset/confirm",
        data={"email": email, "code": code, "password": password},
        headers=ORIGIN,
        follow_redirects=False,
    )


def signs_in(app: Any, email: str, password: str) -> bool:
    answer = browser(app).post(
        "/console/signin", data={"email": email, "password": password}, headers=ORIGIN, follow_redirects=False
    )
    return bool(answer.status_code == 303)


def sign_up_only(app: Any, email: str) -> str:
    with outbox_lines() as sent:
        assert (
            browser(app)
            .post("/console/signup", data={"email": email, "password": PASSWORD}, headers=ORIGIN)
            .is_success
        )
    return code_in(sent, email)


def verify(app: Any, email: str, code: str) -> Any:
    return browser(app).post(
        "/console/verify", data={"email": email, "code": code}, headers=ORIGIN, follow_redirects=False
    )


def refused(answer: Any) -> bool:
    return bool(
        answer.status_code == 400
        and answer.headers["content-type"].startswith("text/html")
        and REFUSED in answer.text
    )


def test_a_made_up_reset_code_is_refused_and_changes_nothing(console_app: Any) -> None:
    person = sign_up(console_app, "victim@example.com")
    ask_reset(console_app, person.email)  # a real code exists, but the attacker cannot read it
    for made_up in ("123456", "000000", "anything", "moto"):
        assert refused(reset(console_app, person.email, made_up))
    assert person.client.get("/v1/account").status_code == 200  # the session lives on
    assert signs_in(console_app, person.email, PASSWORD)
    assert not signs_in(console_app, person.email, NEW_PASSWORD)


def test_the_printed_reset_code_works_once(console_app: Any) -> None:
    person = sign_up(console_app, "once@example.com")
    code = ask_reset(console_app, person.email)
    assert re.fullmatch(r"\d{6}", code)
    done = reset(console_app, person.email, code)
    assert done.status_code == 303 and "email=once%40example.com" in done.headers["location"]
    assert person.client.get("/v1/account").status_code == 401  # sessions end with the old password
    assert signs_in(console_app, person.email, NEW_PASSWORD)
    assert refused(reset(console_app, person.email, code, "An0ther-password!"))
    assert signs_in(console_app, person.email, NEW_PASSWORD)


def test_only_the_newest_reset_code_is_valid(console_app: Any) -> None:
    person = sign_up(console_app, "newest@example.com")
    first = ask_reset(console_app, person.email)
    second = ask_reset(console_app, person.email)
    if first != second:
        assert refused(reset(console_app, person.email, first))
    assert reset(console_app, person.email, second).status_code == 303


def test_a_reset_code_expires_after_an_hour(console_app: Any, user_pool: tuple[str, str]) -> None:
    person = sign_up(console_app, "late@example.com")
    code = ask_reset(console_app, person.email)
    codes_of(user_pool[0]).clock = lambda: time.time() + 3600
    assert refused(reset(console_app, person.email, code))
    assert signs_in(console_app, person.email, PASSWORD)


def test_five_wrong_tries_spend_the_code(console_app: Any) -> None:
    person = sign_up(console_app, "guess@example.com")
    code = ask_reset(console_app, person.email)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        assert refused(reset(console_app, person.email, wrong))
    assert refused(reset(console_app, person.email, code))  # brute force cannot reach the right one
    assert signs_in(console_app, person.email, PASSWORD)


def test_a_weak_new_password_keeps_the_code(console_app: Any) -> None:
    person = sign_up(console_app, "weak@example.com")
    code = ask_reset(console_app, person.email)
    weak = reset(console_app, person.email, code, "short")
    assert weak.status_code == 400 and REFUSED not in weak.text
    assert signs_in(console_app, person.email, PASSWORD)
    assert reset(console_app, person.email, code).status_code == 303


def test_a_reset_for_an_unknown_email_answers_alike_and_sends_nothing(console_app: Any) -> None:
    with outbox_lines() as sent:
        asked = browser(console_app).post(
            "/console/reset", data={"email": "nobody@example.com"}, headers=ORIGIN
        )
    assert asked.status_code == 200 and "If nobody@example.com has an account" in asked.text
    assert sent == []
    assert refused(reset(console_app, "nobody@example.com", "123456"))


def test_a_made_up_sign_up_code_is_refused_like_a_reset_code(console_app: Any) -> None:
    email = "new@example.com"
    code = sign_up_only(console_app, email)
    made_up = f"{(int(code) + 1) % 10**6:06d}"
    assert refused(verify(console_app, email, made_up))
    assert not signs_in(console_app, email, PASSWORD)  # still unverified
    done = verify(console_app, email, code)
    assert done.status_code == 303
    assert refused(verify(console_app, email, code))  # confirmed already: the code is spent


def test_a_sign_up_code_expires_after_a_day(console_app: Any, user_pool: tuple[str, str]) -> None:
    code = sign_up_only(console_app, "slow@example.com")
    codes_of(user_pool[0]).clock = lambda: time.time() + 24 * 3600
    assert refused(verify(console_app, "slow@example.com", code))


def test_send_a_new_code_prints_one_and_voids_the_old(console_app: Any) -> None:
    email = "resend@example.com"
    old = sign_up_only(console_app, email)
    with outbox_lines() as sent:
        resent = browser(console_app).post("/console/verify/resend", data={"email": email}, headers=ORIGIN)
    assert resent.status_code == 200 and resent.headers["content-type"].startswith("text/html")
    assert "a new code is on its way" in resent.text
    assert len(sent) == 1 and "subject='Your new EmpirioLabs verification code'" in sent[0]
    new = code_in(sent, email)
    if new != old:
        assert refused(verify(console_app, email, old))
    assert verify(console_app, email, new).status_code == 303
    assert signs_in(console_app, email, PASSWORD)


def test_send_a_new_code_for_a_verified_or_unknown_email_is_a_page_and_sends_nothing(
    console_app: Any,
) -> None:
    person = sign_up(console_app, "done@example.com")
    for email in (person.email, "nobody@example.com"):
        with outbox_lines() as sent:
            resent = browser(console_app).post(
                "/console/verify/resend", data={"email": email}, headers=ORIGIN
            )
        assert resent.status_code == 200 and resent.headers["content-type"].startswith("text/html")
        assert sent == []


def test_sign_in_after_verification_has_the_email_filled_in(console_app: Any) -> None:
    email = "prefill@example.com"
    code = sign_up_only(console_app, email)
    page = browser(console_app).post("/console/verify", data={"email": email, "code": code}, headers=ORIGIN)
    assert page.status_code == 200 and "Email verified" in page.text
    assert f'value="{email}"' in page.text
