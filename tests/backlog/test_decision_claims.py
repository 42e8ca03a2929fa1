"""Claiming an "Att hantera" case in the store: of two clerks at two PCs, exactly one decides.

Today's reproduction (issue 25, point 4): two apps resolved one case with conflicting choices,
since the guard was a set in each app's memory. The claim is a lease in the shared store; each
"app" here has its own connection, as two PCs would. On SQLite and PostgreSQL. The write-back
a store refuses is recorded in the item's history and shown to the clerk.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from apps.backlog.store import ItemStatus, WorkerIdentity, open_store
from apps.backlog.store.decision_claims import Claimed, DecisionClaims
from apps.ui.jobs import Job, JobKind
from apps.ui.work import WRITEBACK_REFUSED_SV, writeback_hook
from flows.rules.outcome import Outcome, OutcomeKind
from flows.rules.request import RegistrationRequest
from robot.db import open_database
from robot.settings import Settings

REQUEST = RegistrationRequest.model_validate(
    {
        "birth_date": "1980-02-03",
        "sex": "K",
        "family_name": "Fallsson",
        "given_names": "Frida",
        "group": "asylsokande",
        "address": {"street": "Gatan 1", "postal_code": "803 20", "city": "Gävle", "country": "SE"},
    }
)


@pytest.fixture
def settings(tmp_path: Path, store_dsn: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", store_dsn=store_dsn)


def test_two_clerks_choosing_at_once_one_gets_the_case_the_other_is_told_who(
    settings: Settings,
) -> None:
    apps = [DecisionClaims(open_database(settings, "queue"), ttl_s=60) for _ in range(2)]
    start = threading.Barrier(2)
    got: dict[str, Claimed | str] = {}

    def choose(claims: DecisionClaims, clerk: str) -> None:
        start.wait(timeout=30)
        got[clerk] = claims.claim(7, actor=f"ui:{clerk}")

    threads = [
        threading.Thread(target=choose, args=(claims, clerk))
        for claims, clerk in zip(apps, ("anna", "bertil"), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    winners = [clerk for clerk, answer in got.items() if isinstance(answer, Claimed)]
    assert len(winners) == 1, got
    [loser] = [clerk for clerk in got if clerk not in winners]
    assert got[loser] == f"ui:{winners[0]}"
    assert apps[0].holder(7) == apps[1].holder(7) == f"ui:{winners[0]}"

    claim = got[winners[0]]
    assert isinstance(claim, Claimed)
    claim.release()
    assert apps[0].holder(7) is None
    again = apps[1].claim(7, actor=f"ui:{loser}")
    assert isinstance(again, Claimed)
    again.release()


def test_a_refused_write_back_is_shown_and_recorded_in_the_history(settings: Settings) -> None:
    with open_store(settings) as store:
        item, _ = store.add("claim-test", REQUEST, source="t.csv:2")
        assert store.claim_next(WorkerIdentity.current("w")) is not None
        needs = Outcome(kind=OutcomeKind.NEEDS_PERSON, reason_code="possible_match")
        store.finish(item.id, needs, status=ItemStatus.NEEDS_PERSON, worker="w")
        # Meanwhile the case was closed (say by hand, from the command line).
        store.close_by_person(item.id, reason_code="closed", reason_sv="Stängt.", actor="cli")

        job = Job(kind=JobKind.BACKLOG, work=lambda runner, on_step, stop: needs, request=REQUEST)
        registered = Outcome(kind=OutcomeKind.REGISTERED, patient_id="19800203-01K3")
        writeback_hook(store, item_id=item.id, actor="ui:anna")(job, registered)

        assert job.notice_sv == WRITEBACK_REFUSED_SV
        assert store.get(item.id).status is ItemStatus.CLOSED  # type: ignore[union-attr]
        last = store.history(item.id)[-1]
        assert (last.reason, last.actor, last.to_status) == (
            "writeback_refused",
            "ui:anna",
            ItemStatus.CLOSED,
        )
