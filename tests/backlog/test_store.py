"""The queue store's contract, run against both backends: SQLite files and real PostgreSQL.

Adding, atomic claims across processes, one birth date at a time, finishing, recovery, the
transition table, the closed-by-person state, runs, the worker registry and machine modes.
"""

from __future__ import annotations

import multiprocessing as mp
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import psutil
import pytest

from apps.backlog.metrics import render_metrics
from apps.backlog.store import (
    Added,
    DatabaseQueueStore,
    IllegalTransition,
    ItemStatus,
    MachineMode,
    RetryPlan,
    WorkerIdentity,
    check_transition,
    open_store,
    utcnow,
)
from flows.rules.outcome import Decision, Outcome, OutcomeKind
from robot.db import ConstraintViolation
from robot.processes import HolderProcess, this_machine
from robot.settings import Settings

from .helpers import make_request

REQUEST = make_request("2019-04-12", "Ek", "Eva")
PLAN = RetryPlan(max_attempts=3, base_s=30, max_s=100)
REGISTERED = Outcome(kind=OutcomeKind.REGISTERED, patient_id="20190412201K3", duration_s=1.2)
SITE_ERROR = Outcome(kind=OutcomeKind.FAILED, reason_code="site_error", reason_sv="Fel.")


@pytest.fixture
def settings_values(settings_values: dict[str, Any], store_dsn: str) -> dict[str, Any]:
    """The queue's contract tests run on each store: SQLite files, then PostgreSQL."""
    return {**settings_values, "store_dsn": store_dsn}


@pytest.fixture
def store(settings: Settings) -> Iterator[DatabaseQueueStore]:
    with open_store(settings) as s:
        yield s


def me(name: str = "w1", machine: str = "m1") -> WorkerIdentity:
    return WorkerIdentity.current(name, machine=machine)


def test_add_should_not_queue_the_same_ref_twice(store: DatabaseQueueStore) -> None:
    first, how = store.add("ref-1", REQUEST, source="a.csv:2")
    again, how_again = store.add("ref-1", REQUEST, source="b.csv:5")
    assert (how, how_again) == (Added.ADDED, Added.DUPLICATE)
    assert again.id == first.id and again.request == REQUEST and again.source == "a.csv:2"
    assert store.counts()[ItemStatus.PENDING] == 1


def test_add_replaces_a_waiting_request_but_never_a_case_under_way(
    store: DatabaseQueueStore,
) -> None:
    other = make_request("1990-01-02", "Lind", "Ola")
    item, _ = store.add("ref-1", REQUEST)
    replaced, how = store.add("ref-1", other, source="b.csv:2")
    assert how is Added.REPLACED and replaced.id == item.id and replaced.request == other
    assert store.history(item.id)[-1].reason == "replaced_row"
    claim = store.claim(me(), plan=PLAN, actor="t")
    assert claim is not None
    same, how = store.add("ref-1", REQUEST)
    assert how is Added.CONFLICT and same.request == other  # nothing changed


def test_a_corrected_row_replaces_a_rejected_one(store: DatabaseQueueStore) -> None:
    from apps.backlog.store import RowRejection

    bad, added = store.add_rejected(
        "ext-7", RowRejection(row=2), reason_sv="Rad 2: fel", source="a.csv:2"
    )
    fixed, how = store.add("ext-7", REQUEST)
    assert added and how is Added.CORRECTED and fixed.id == bad.id
    assert fixed.status is ItemStatus.PENDING and fixed.request == REQUEST
    assert fixed.reason_code is None and fixed.rejection is None
    assert [h.to_status for h in store.history(bad.id)] == ["rejected", "pending"]


def test_claim_takes_oldest_due_item_and_skips_items_waiting_for_a_retry(
    store: DatabaseQueueStore,
) -> None:
    a, _ = store.add("a", make_request("2019-04-12", "Ek", "Eva"))
    b, _ = store.add("b", make_request("2018-01-02", "Ek", "Per"))
    claimed = store.claim_next(me())
    assert claimed is not None and claimed.id == a.id
    assert claimed.status is ItemStatus.IN_PROGRESS and claimed.worker == "w1"
    assert claimed.machine == "m1" and claimed.claims == 1 and claimed.heartbeat_at is not None
    store.finish(
        a.id,
        SITE_ERROR,
        status=ItemStatus.PENDING,
        attempts=1,
        not_before=utcnow() + timedelta(hours=1),
    )
    nxt = store.claim_next(me())
    assert nxt is not None and nxt.id == b.id
    assert store.claim_next(me()) is None  # a waits for its retry time
    due = store.next_due()
    assert due is not None and due > utcnow() + timedelta(minutes=59)


def test_a_claim_settles_its_outcome_by_the_one_rule(store: DatabaseQueueStore) -> None:
    item, _ = store.add("a", REQUEST)
    run = store.start_run(workers=1, limit=None, machine="m1")
    claim = store.claim(me(), plan=PLAN, actor="robot:t", run_id=run)
    assert claim is not None
    with claim:
        nxt = claim.settle(REGISTERED)
    done = store.get(item.id)
    assert nxt.status is ItemStatus.DONE and claim.kept
    assert done is not None and done.status is ItemStatus.DONE
    assert done.patient_id == "20190412201K3" and done.worker is None
    assert done.outcome == REGISTERED and done.kind == "registered"
    assert [(h.from_status, h.to_status) for h in store.history(item.id)] == [
        (None, "pending"),
        ("pending", "in_progress"),
        ("in_progress", "done"),
    ]


def test_a_claim_left_by_an_exception_is_a_failed_attempt_retried_later(
    store: DatabaseQueueStore,
) -> None:
    item, _ = store.add("a", REQUEST)
    claim = store.claim(me(), plan=PLAN, actor="t")
    assert claim is not None
    with claim:
        raise RuntimeError("the browser went away")
    again = store.get(item.id)
    assert isinstance(claim.error, RuntimeError)
    assert again is not None and again.status is ItemStatus.PENDING and again.attempts == 1
    assert again.not_before is not None and again.reason_code == "unexpected_error"
    claim = store.claim(me(), plan=PLAN, actor="t")
    assert claim is None  # waits for its backoff


def test_a_stopped_worker_gives_its_item_back_without_counting_an_attempt(
    store: DatabaseQueueStore,
) -> None:
    item, _ = store.add("a", REQUEST)
    claim = store.claim(me(), plan=PLAN, actor="t")
    assert claim is not None
    with pytest.raises(KeyboardInterrupt), claim:
        raise KeyboardInterrupt
    again = store.get(item.id)
    assert again is not None and again.status is ItemStatus.PENDING and again.attempts == 0
    assert store.history(item.id)[-1].reason == "worker_stopped"


def test_two_items_of_one_birth_date_are_never_in_progress_at_once(
    store: DatabaseQueueStore,
) -> None:
    # Two spellings of one person (different fingerprints, different references).
    a, _ = store.add("ref-a", make_request("2019-04-12", "Ek", "Eva"))
    b, _ = store.add("ref-b", make_request("2019-04-12", "Eek", "Eva Maria"))
    c, _ = store.add("ref-c", make_request("2001-02-03", "Berg", "Ann"))
    first = store.claim_next(me("w1"))
    second = store.claim_next(me("w2"))
    assert first is not None and first.id == a.id
    assert second is not None and second.id == c.id  # b waits: its birth date is held
    assert store.claim_next(me("w3")) is None
    store.finish(a.id, REGISTERED, status=ItemStatus.DONE)
    third = store.claim_next(me("w3"))
    assert third is not None and third.id == b.id


def test_the_database_itself_refuses_two_in_progress_items_of_one_birth_date(
    store: DatabaseQueueStore,
) -> None:
    store.add("ref-a", make_request("2019-04-12", "Ek", "Eva"))
    store.add("ref-b", make_request("2019-04-12", "Eek", "Eva"))
    with pytest.raises(ConstraintViolation), store.db.transaction() as tx:
        tx.execute("UPDATE queue_items SET status = 'in_progress'")


def test_finish_by_a_worker_that_lost_its_item_changes_nothing(
    store: DatabaseQueueStore,
) -> None:
    item, _ = store.add("a", REQUEST)
    store.claim_next(me("w1"))
    store.recover_interrupted(stale_after=timedelta(seconds=-1), actor="test")
    store.claim_next(me("w2"))
    assert not store.finish(item.id, REGISTERED, status=ItemStatus.DONE, worker="w1")
    current = store.get(item.id)
    assert current is not None and current.status is ItemStatus.IN_PROGRESS
    assert current.worker == "w2"


def test_recover_requeues_items_of_dead_workers_but_not_of_live_ones(
    store: DatabaseQueueStore,
) -> None:
    dead_proc = subprocess.Popen([sys.executable, "-c", "input()"], stdin=subprocess.PIPE)
    started = psutil.Process(dead_proc.pid).create_time()
    dead_proc.communicate(b"\n")
    live = me("live")
    process = HolderProcess(this_machine(), dead_proc.pid, started, psutil.boot_time())
    dead = WorkerIdentity(name="dead", pid=dead_proc.pid, host=live.host, process=process)
    a, _ = store.add("a", make_request("2019-04-12", "Ek", "Eva"))
    b, _ = store.add("b", make_request("2018-01-02", "Ek", "Per"))
    assert store.claim_next(dead) is not None
    assert store.claim_next(live) is not None
    recovered = store.recover_interrupted(stale_after=timedelta(minutes=10), actor="run:2")
    assert recovered == [a.id]
    again = store.get(a.id)
    assert again is not None and again.status is ItemStatus.PENDING and again.worker is None
    still = store.get(b.id)
    assert still is not None and still.status is ItemStatus.IN_PROGRESS
    assert store.history(a.id)[-1].reason == "worker_dead"


def test_recover_does_not_trust_a_reused_pid(store: DatabaseQueueStore) -> None:
    mine = me("w")
    assert mine.process is not None
    earlier = replace(mine.process, started=mine.process.started - 9)
    impostor = WorkerIdentity(name="old", pid=mine.pid, host=mine.host, process=earlier)
    item, _ = store.add("a", REQUEST)
    store.claim_next(impostor)
    assert store.recover_interrupted(stale_after=timedelta(minutes=10), actor="t") == [item.id]


def test_an_item_of_a_silent_worker_on_another_machine_is_taken_over_after_expiry(
    store: DatabaseQueueStore,
) -> None:
    process = HolderProcess("another-host", 1, 0.0, psutil.boot_time())
    far = WorkerIdentity(name="far", pid=1, host="another-host", process=process, machine="m2")
    item, _ = store.add("a", REQUEST)
    store.claim_next(far)
    assert store.recover_interrupted(stale_after=timedelta(minutes=10), actor="t") == []
    with store.db.transaction() as tx:  # its last heartbeat, a minute ago
        tx.execute(f"UPDATE queue_items SET heartbeat = {store.db.now_sql} - 60")  # noqa: S608
    takeover = store.next_takeover(stale_after=timedelta(seconds=90), quiet_s=5)
    assert takeover is not None and timedelta(seconds=20) < takeover - utcnow() < timedelta(40)
    assert store.recover_interrupted(stale_after=timedelta(seconds=30), actor="t") == [item.id]
    assert store.history(item.id)[-1].reason == "heartbeat_stale"


def test_a_live_holder_keeps_its_item_with_heartbeats(store: DatabaseQueueStore) -> None:
    item, _ = store.add("a", REQUEST)
    store.claim_next(me("w1"))
    assert store.heartbeat(item.id, "w1")
    assert not store.heartbeat(item.id, "w2")  # not its holder


def test_recover_fails_an_item_that_keeps_killing_its_worker(store: DatabaseQueueStore) -> None:
    item, _ = store.add("a", REQUEST)
    for _ in range(3):
        store.claim_next(me())
        store.recover_interrupted(stale_after=timedelta(seconds=-1), actor="t", max_claims=3)
    failed = store.get(item.id)
    assert failed is not None and failed.status is ItemStatus.FAILED
    assert failed.reason_code == "interrupted_repeatedly"


def test_retry_failed_requeues_failed_items_with_fresh_attempts(
    store: DatabaseQueueStore,
) -> None:
    a, _ = store.add("a", make_request("2019-04-12", "Ek", "Eva"))
    b, _ = store.add("b", make_request("2018-01-02", "Ek", "Per"))
    for item in (a, b):
        store.claim_next(me())
        store.finish(item.id, SITE_ERROR, status=ItemStatus.FAILED, attempts=3)
    assert store.retry_failed(actor="anna", item_ids=[b.id]) == [b.id]
    again = store.get(b.id)
    assert again is not None and again.status is ItemStatus.PENDING and again.attempts == 0
    assert store.counts()[ItemStatus.FAILED] == 1
    assert store.history(b.id)[-1].actor == "anna"


def test_requeue_keeps_a_persons_decisions_for_the_next_attempt(
    store: DatabaseQueueStore,
) -> None:
    item, _ = store.add("a", REQUEST)
    store.claim_next(me())
    needs = Outcome(kind=OutcomeKind.NEEDS_PERSON, reason_code="uncertain_match_pmo")
    store.finish(item.id, needs, status=ItemStatus.NEEDS_PERSON)
    decision = Decision(
        system="pmo", id_value="20190412201K3", verdict="different", decided_by="anna"
    )
    store.requeue(item.id, reason="decided", actor="ui:anna", decisions=[decision])
    again = store.claim_next(me())
    assert again is not None and again.id == item.id and again.decisions == (decision,)
    with pytest.raises(IllegalTransition):
        store.requeue(item.id, reason="x", actor="y")  # in progress: not allowed


def test_a_case_closed_by_a_person_is_terminal_and_a_reimport_never_reopens_it(
    store: DatabaseQueueStore,
) -> None:
    item, _ = store.add("MOTT-1", REQUEST)
    store.claim_next(me())
    needs = Outcome(kind=OutcomeKind.NEEDS_PERSON, reason_code="uncertain_match_pmo")
    store.finish(item.id, needs, status=ItemStatus.NEEDS_PERSON)
    assert store.close_by_person(
        item.id, reason_code="cancelled_by_person", reason_sv="Avbrutet.", actor="ui:anna"
    )
    closed = store.get(item.id)
    assert closed is not None and closed.status is ItemStatus.CLOSED and closed.kind == "closed"
    assert closed.status.label_sv == "Hanterad av en person"
    assert store.counts()[ItemStatus.CLOSED] == 1 and store.counts()[ItemStatus.REJECTED] == 0
    again, how = store.add("MOTT-1", make_request("2019-04-12", "Ek", "Eva", street="Ny väg 2"))
    assert how is Added.HANDLED and again.status is ItemStatus.CLOSED
    with pytest.raises(IllegalTransition):
        store.requeue(item.id, reason="x", actor="y")


def test_every_transition_not_in_the_table_is_refused() -> None:
    check_transition(1, ItemStatus.PENDING, ItemStatus.IN_PROGRESS)
    for old, new in (
        (ItemStatus.DONE, ItemStatus.PENDING),
        (ItemStatus.CLOSED, ItemStatus.PENDING),
        (ItemStatus.REJECTED, ItemStatus.IN_PROGRESS),
        (ItemStatus.PENDING, ItemStatus.DONE),
        (None, ItemStatus.DONE),
    ):
        with pytest.raises(IllegalTransition):
            check_transition(1, old, new)


def test_runs_record_start_end_and_what_each_run_did(store: DatabaseQueueStore) -> None:
    a, _ = store.add("a", make_request("2019-04-12", "Ek", "Eva"))
    b, _ = store.add("b", make_request("2018-01-02", "Ek", "Per"))
    run = store.start_run(workers=2, limit=None, machine="m1")
    for _ in range(2):
        claimed = store.claim_next(me(), run_id=run)
        assert claimed is not None
        store.finish(claimed.id, REGISTERED, status=ItemStatus.DONE)
    store.end_run(run, exit_code=0, summary={"done": 2})
    last = store.last_run()
    assert last is not None and last.id == run and last.exit_code == 0
    assert last.summary == {"done": 2} and last.finished_at is not None
    assert last.machine == "m1"
    assert [(r.item_id, r.status) for r in store.run_items(run)] == [
        (a.id, ItemStatus.DONE),
        (b.id, ItemStatus.DONE),
    ]
    assert [i.id for i in store.items(run_id=run)] == [a.id, b.id]


def test_worker_registry_and_machine_modes(store: DatabaseQueueStore) -> None:
    w = me("m1/run1-w1", "m1")
    store.register_worker(w, run_id=1)
    item, _ = store.add("a", REQUEST)
    store.claim_next(w)
    store.heartbeat(item.id, w.name)
    [record] = store.workers()
    assert (record.machine, record.item_id, record.running) == ("m1", item.id, True)
    assert record.age_s < 60
    store.beat_worker(w.name, item_id=None, finished_one=True)
    store.stop_worker(w.name)
    [record] = store.workers(machine="m1")
    assert record.items_done == 1 and not record.running and record.item_id is None
    assert store.machine_mode("m1") is MachineMode.RUN
    store.set_machine_mode("m1", MachineMode.DRAINING, actor="person:anna")
    store.set_machine_mode("m1", MachineMode.PAUSED, actor="person:anna")
    assert store.machine_mode("m1") is MachineMode.PAUSED
    assert store.machine_modes() == {"m1": MachineMode.PAUSED}
    assert store.forget_workers(older_than_s=3600) == 0  # signed off just now: kept
    assert store.forget_workers(older_than_s=-1) == 1 and store.workers() == []


def test_a_worker_that_died_without_signing_off_stops_counting_as_silent(
    store: DatabaseQueueStore,
) -> None:
    """Killed (or its store gone when it stopped), a worker never signs off: on its own
    machine its dead process shows it, so the worker-silent alert clears; a silent worker of
    another machine stays silent until it has been silent for a day, then it leaves."""
    dead_proc = subprocess.Popen([sys.executable, "-c", "input()"], stdin=subprocess.PIPE)
    started = psutil.Process(dead_proc.pid).create_time()
    dead_proc.communicate(b"\n")
    live = me("live")
    process = HolderProcess(this_machine(), dead_proc.pid, started, psutil.boot_time())
    dead = WorkerIdentity(name="dead", pid=dead_proc.pid, host=live.host, process=process)
    far_process = HolderProcess("another-host", 1, 0.0, psutil.boot_time())
    far = WorkerIdentity(name="far", pid=1, host="another-host", process=far_process, machine="m2")
    for worker in (dead, live, far):
        store.register_worker(worker, run_id=1)
    with store.db.transaction() as tx:  # every one silent for two minutes, "far" for two days
        now = store.db.now_sql
        tx.execute(f"UPDATE queue_workers SET heartbeat = {now} - 120")  # noqa: S608
        tx.execute(f"UPDATE queue_workers SET heartbeat = {now} - 172800 WHERE name = 'far'")  # noqa: S608

    found = {w.name: w for w in store.workers()}
    assert [n for n, w in found.items() if w.gone] == ["dead"]
    text = render_metrics(store)
    assert 'worker="dead"' not in text  # not a silent worker, though it never signed off
    assert 'reservrobot_worker_up{machine="m1",worker="live"} 0' in text  # alive but silent
    assert 'reservrobot_worker_up{machine="m2",worker="far"} 0' in text

    assert store.expire_workers() == 1
    found = {w.name: w for w in store.workers()}
    assert sorted(found) == ["dead", "live"]  # "far": silent for longer than a day, gone
    assert not found["dead"].running and not found["dead"].gone
    assert found["dead"].age_s >= 120  # its last sign of life stays as it was
    assert found["live"].running


def _claim_all(settings: Settings, name: str, out: mp.Queue) -> None:  # type: ignore[type-arg]
    with open_store(settings) as store:
        ident = WorkerIdentity.current(name, machine=name)
        taken = []
        while (item := store.claim_next(ident)) is not None:
            taken.append(item.id)
            store.finish(item.id, REGISTERED, status=ItemStatus.DONE, worker=name)
    out.put(taken)


def test_claims_from_four_processes_at_once_never_take_the_same_item(
    settings: Settings,
) -> None:
    with open_store(settings) as store:
        for i in range(120):
            day = f"19{50 + i // 12:02d}-{1 + i % 12:02d}-15"
            store.add(f"r{i}", make_request(day, "Ek", "Eva"))
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_claim_all, args=(settings, f"w{i}", out)) for i in range(4)]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    taken = [i for r in results for i in r]
    assert len(taken) == 120 and len(set(taken)) == 120
    with open_store(settings) as store:
        assert store.counts()[ItemStatus.DONE] == 120
        claims = [
            h for i in store.items() for h in store.history(i.id) if h.to_status == "in_progress"
        ]
        assert len(claims) == 120


def test_history_is_written_for_every_change_and_a_bogus_status_is_refused(
    store: DatabaseQueueStore,
) -> None:
    item, _ = store.add("a", REQUEST)
    store.claim_next(me())
    store.finish(item.id, SITE_ERROR, status=ItemStatus.PENDING, attempts=1)
    entries = store.history(item.id)
    assert entries[-1].reason == "site_error" and entries[-1].detail["attempts"] == 1
    with pytest.raises(ConstraintViolation), store.db.transaction() as tx:
        tx.execute(
            "INSERT INTO queue_items (ref, status, created_at, updated_at)"
            " VALUES ('x', 'bogus', 'n', 'n')"
        )
