"""The one vocabulary: each failure kind has its own words, a refused login is never retried."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from flows.pages.login import LoginRefused, RefusedLogins
from flows.rules.vocabulary import (
    STEP_LABELS_SV,
    FailureKind,
    count_sv,
    decimal_sv,
    failure_kind,
    failure_text,
    sex_sv,
    step_label_sv,
    system_sv,
)
from robot.errors import SiteError
from robot.retry import NotRetried, RetryPolicy, call_with_retries


@pytest.mark.parametrize(
    ("code", "step", "number", "kind"),
    [
        ("login_refused", "search_pmo", None, FailureKind.LOGIN_REFUSED),
        ("login_refused", "register_pmo", "19900101201M7", FailureKind.LOGIN_REFUSED),
        ("site_error", "search_rns", None, FailureKind.SITE_DOWN),
        ("site_timeout", "search_pmo", None, FailureKind.SITE_DOWN),
        ("site_error", "register_pmo", "19900101201M7", FailureKind.PMO_AFTER_NUMBER),
        ("patient_id_marker", "register_pmo", "19900101201M7", FailureKind.PMO_AFTER_NUMBER),
        ("verification_failed", "verify", "19900101201M7", FailureKind.VERIFICATION),
        ("selector_missing", "search_pmo", None, FailureKind.SITE_CHANGED),
        ("something_new", None, None, FailureKind.OTHER),
    ],
)
def test_failure_kind_follows_code_then_number(
    code: str, step: str | None, number: str | None, kind: FailureKind
) -> None:
    assert failure_kind(code, step=step, reservnummer=number) is kind


def test_each_failure_kind_has_its_own_headline_and_next_step() -> None:
    cases = [
        ("login_refused", "search_pmo", None),
        ("site_error", "search_rns", None),
        ("site_error", "register_pmo", "19900101201M7"),
        ("verification_failed", "verify", "19900101201M7"),
        ("selector_missing", "search_pmo", None),
        ("odd", None, None),
    ]
    texts = [failure_text(c, step=s, reservnummer=n) for c, s, n in cases]
    assert len({t.headline for t in texts}) == len(cases)
    assert len({t.next_step for t in texts}) == len(cases)
    for text, (code, _, _) in zip(texts, cases, strict=True):
        assert f"Kod för IT-support: {code}." in text.next_step
        for word in ("search_", "register_pmo", "Error", "Steget"):
            assert word not in text.headline + text.what + text.next_step


def test_failure_texts_name_the_system_the_number_and_whether_to_retry() -> None:
    login = failure_text("login_refused", step="search_rns", reservnummer=None)
    assert "Reservnummersystemet" in login.what and not login.can_retry
    assert "IT-support" in login.next_step
    down = failure_text("site_error", step="search_pmo", reservnummer=None)
    assert down.headline == "PMO svarar inte just nu" and down.can_retry
    assert "”Söker i PMO”" in down.what
    after = failure_text("site_error", step="register_pmo", reservnummer="19900101201M7")
    assert "19900101201M7" in after.what and "Skapa inget nytt reservnummer" in after.next_step
    assert after.can_retry
    verify = failure_text("verification_failed", step="verify", reservnummer="19900101201M7")
    assert "19900101201M7" in verify.what and not verify.can_retry
    assert "Registrera inte patienten igen" in verify.next_step


def test_words_for_systems_sex_steps_and_numbers() -> None:
    assert system_sv("rns") == "Reservnummersystemet" and system_sv("pmo") == "PMO"
    assert (sex_sv("M"), sex_sv("K"), sex_sv(None)) == ("Man", "Kvinna", "Okänt")
    assert step_label_sv("create_rns") == STEP_LABELS_SV["create_rns"] == "Skapar reservnummer"
    assert step_label_sv("no_such_step") == "Ett steg"
    assert (count_sv(1, "ärende", "ärenden"), count_sv(3, "ärende", "ärenden")) == (
        "1 ärende",
        "3 ärenden",
    )
    assert decimal_sv(2.5, 1) == "2,5"
    assert decimal_sv(12.0) == "12,0"


def test_a_refused_login_is_tried_once_never_retried() -> None:
    calls: list[int] = []

    def login() -> None:
        calls.append(1)
        raise LoginRefused("PMO godtog inte robotens användarnamn eller lösenord.")

    with pytest.raises(LoginRefused) as raised:
        call_with_retries(
            login, policy=RetryPolicy(5, 0, 0), step="login_pmo", sleep=lambda _: None
        )
    assert len(calls) == 1
    assert isinstance(raised.value, NotRetried) and raised.value.code == "login_refused"


def test_a_not_retried_error_from_before_retry_ends_the_step_too() -> None:
    calls: list[int] = []

    def step() -> None:
        calls.append(1)
        raise SiteError("500")

    def log_in_again(_retry: int, _error: BaseException) -> None:
        raise LoginRefused("nekad")

    with pytest.raises(LoginRefused):
        call_with_retries(
            step,
            policy=RetryPolicy(5, 0, 0),
            step="search_pmo",
            before_retry=log_in_again,
            sleep=lambda _: None,
        )
    assert len(calls) == 1


def test_refused_logins_are_remembered_by_keyed_hash_per_password(tmp_path: Path) -> None:
    refusals = RefusedLogins(tmp_path, SecretStr("nyckel"))
    wrong, fixed = SecretStr("fel-lösenord-123"), SecretStr("rätt-lösenord-456")
    assert not refusals.refused("pmo", "robot", wrong)
    refusals.remember("pmo", "robot", wrong)
    assert refusals.refused("pmo", "robot", wrong)
    assert not refusals.refused("pmo", "robot", fixed)  # a changed password is tried again
    assert not refusals.refused("rns", "robot", wrong)  # per site
    [marker] = tmp_path.iterdir()
    assert stat.S_IMODE(marker.stat().st_mode) == 0o600
    assert "fel-lösenord-123" not in marker.name + marker.read_text("utf-8")
