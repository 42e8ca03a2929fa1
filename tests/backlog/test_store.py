"""The SQLite queue: adding, atomic claims across processes, finishing, recovery, history."""

from __future__ import annotations

import multiprocessing as mp
import os
import sqlite3
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from apps.backlog.store import ItemStatus, SqliteQueueStore, WorkerIdentity, utcnow

REQUEST = {"birth_date": "2019-04-12", "sex": "K"}


@pytest.fixture
def store(tmp_path: Path) -> SqliteQueueStore:
    with SqliteQueueStore(tmp_path / "q" / "queue.sqlite3") as s:
        yield s


def test_add_should_not_queue_the_same_ref_twice(store: SqliteQueueStore) -> None:
    first, added = store.add("ref-1", REQUEST, source="a.csv:2")
    again, added_again = store.add("ref-1", {"other": True}, source="b.csv:5")
    assert added and not added_again
    assert again.id == first.id and again.request == REQUEST and again.source == "a.csv:2"
    assert store.counts()[ItemStatus.PENDING] == 1


def test_add_should_replace_a_rejected_row_when_a_valid_one_with_the_same_ref_arrives(
    store: SqliteQueueStore,
) -> None:
    bad, _ = store.add(
        "ext-7",
        None,
        status=ItemStatus.REJECTED,
        reason_code="request_invalid",
        reason_sv="Rad 2: fel",
    )
    fixed, added = store.add("ext-7", REQUEST)
    assert added and fixed.id == bad.id
    assert fixed.status == ItemStatus.PENDING and fixed.request == REQUEST
    assert fixed.reason_code is None
    assert [h["to_status"] for h in store.history(bad.id)] == ["rejected", "pending"]


def test_queue_file_should_be_private(store: SqliteQueueStore) -> None:
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700


def test_claim_should_take_oldest_due_item_and_skip_items_waiting_for_a_retry(
    store: SqliteQueueStore,
) -> None:
    a, _ = store.add("a", REQUEST)
    b, _ = store.add("b", REQUEST)
    claimed = store.claim("w1")
    assert claimed is not None and claimed.id == a.id
    assert claimed.status == ItemStatus.IN_PROGRESS and claimed.worker == "w1"
    assert claimed.worker_pid == os.getpid() and claimed.claims == 1
    store.finish(
        a.id,
        {"kind": "failed", "reason_code": "site_error"},
        status=ItemStatus.PENDING,
        attempts=1,
        not_before=utcnow() + timedelta(hours=1),
    )
    nxt = store.claim("w1")
    assert nxt is not None and nxt.id == b.id
    assert store.claim("w1") is None  # a waits for its retry time
    due = store.next_due()
    assert due is not None and due > utcnow() + timedelta(minutes=59)


def test_finish_should_record_outcome_patient_id_and_history(store: SqliteQueueStore) -> None:
    item, _ = store.add("a", REQUEST)
    store.claim("w1", run_id=store.start_run(workers=1, limit=None))
    ok = store.finish(
        item.id,
        {"kind": "registered", "patient_id": "20190412201K3", "duration_s": 1.2},
        status=ItemStatus.DONE,
        worker="w1",
    )
    done = store.get(item.id)
    assert ok and done is not None
    assert done.status == ItemStatus.DONE and done.patient_id == "20190412201K3"
    assert done.worker is None and done.outcome == {
        "kind": "registered",
        "patient_id": "20190412201K3",
        "duration_s": 1.2,
    }
    assert [(h["from_status"], h["to_status"]) for h in store.history(item.id)] == [
        (None, "pending"),
        ("pending", "in_progress"),
        ("in_progress", "done"),
    ]


def test_finish_by_a_worker_that_lost_its_item_should_change_nothing(
    store: SqliteQueueStore,
) -> None:
    item, _ = store.add("a", REQUEST)
    store.claim("w1")
    store.recover_interrupted(stale_after=timedelta(seconds=-1), actor="test")
    store.claim("w2")
    assert not store.finish(item.id, {"kind": "registered"}, status=ItemStatus.DONE, worker="w1")
    current = store.get(item.id)
    assert current is not None and current.status == ItemStatus.IN_PROGRESS
    assert current.worker == "w2"


def test_recover_should_requeue_items_of_dead_workers_but_not_of_live_ones(
    store: SqliteQueueStore,
) -> None:
    dead_proc = subprocess.Popen([sys.executable, "-c", "pass"])
    dead_proc.wait()
    live = WorkerIdentity.current("live")
    dead = WorkerIdentity(name="dead", pid=dead_proc.pid, host=live.host, started=0.0)
    a, _ = store.add("a", REQUEST)
    b, _ = store.add("b", REQUEST)
    assert store.claim(dead) is not None
    assert store.claim(live) is not None
    recovered = store.recover_interrupted(stale_after=timedelta(minutes=10), actor="run:2")
    assert recovered == [a.id]
    again = store.get(a.id)
    assert again is not None and again.status == ItemStatus.PENDING and again.worker is None
    still = store.get(b.id)
    assert still is not None and still.status == ItemStatus.IN_PROGRESS
    assert store.history(a.id)[-1]["reason"] == "worker_dead"


def test_recover_should_not_trust_a_reused_pid(store: SqliteQueueStore) -> None:
    me = WorkerIdentity.current("w")
    impostor = WorkerIdentity(name="old", pid=me.pid, host=me.host, started=me.started - 3600)
    item, _ = store.add("a", REQUEST)
    store.claim(impostor)
    assert store.recover_interrupted(stale_after=timedelta(minutes=10), actor="t") == [item.id]


def test_recover_should_fail_an_item_that_keeps_killing_its_worker(store: SqliteQueueStore) -> None:
    item, _ = store.add("a", REQUEST)
    for _ in range(3):
        store.claim("w")
        store.recover_interrupted(stale_after=timedelta(seconds=-1), actor="t", max_claims=3)
    failed = store.get(item.id)
    assert failed is not None and failed.status == ItemStatus.FAILED
    assert failed.reason_code == "interrupted_repeatedly"


def test_retry_failed_should_requeue_failed_items_with_fresh_attempts(
    store: SqliteQueueStore,
) -> None:
    a, _ = store.add("a", REQUEST)
    b, _ = store.add("b", REQUEST)
    for item in (a, b):
        store.claim("w")
        store.finish(
            item.id,
            {"kind": "failed", "reason_code": "site_error"},
            status=ItemStatus.FAILED,
            attempts=3,
        )
    assert store.retry_failed(actor="anna", item_ids=[b.id]) == [b.id]
    again = store.get(b.id)
    assert again is not None and again.status == ItemStatus.PENDING and again.attempts == 0
    assert store.counts()[ItemStatus.FAILED] == 1
    assert store.history(b.id)[-1]["actor"] == "anna"


def test_requeue_should_keep_a_persons_decisions_for_the_next_attempt(
    store: SqliteQueueStore,
) -> None:
    item, _ = store.add("a", REQUEST)
    store.claim("w")
    store.finish(
        item.id,
        {"kind": "needs_person", "reason_code": "uncertain_match_pmo"},
        status=ItemStatus.NEEDS_PERSON,
    )
    decision = {
        "system": "pmo",
        "id_value": "20190412201K3",
        "verdict": "different",
        "decided_by": "anna",
    }
    store.requeue(item.id, reason="decided", actor="ui:anna", decisions=[decision])
    again = store.claim("w")
    assert again is not None and again.id == item.id and again.decisions == (decision,)
    with pytest.raises(ValueError):
        store.requeue(item.id, reason="x", actor="y")  # in progress: not allowed


def test_runs_should_record_start_end_and_what_each_run_did(store: SqliteQueueStore) -> None:
    a, _ = store.add("a", REQUEST)
    b, _ = store.add("b", REQUEST)
    run = store.start_run(workers=2, limit=None)
    for _ in range(2):
        claimed = store.claim("w", run_id=run)
        assert claimed is not None
        store.finish(claimed.id, {"kind": "registered"}, status=ItemStatus.DONE)
    store.end_run(run, exit_code=0, summary={"done": 2})
    last = store.last_run()
    assert last is not None and last["id"] == run and last["exit_code"] == 0
    assert last["summary"] == {"done": 2} and last["finished_at"] is not None
    assert [(r["item_id"], r["status"]) for r in store.run_items(run)] == [
        (a.id, ItemStatus.DONE),
        (b.id, ItemStatus.DONE),
    ]
    assert [i.id for i in store.items(run_id=run)] == [a.id, b.id]


def _claim_all(path: str, name: str, out: mp.Queue) -> None:  # type: ignore[type-arg]
    store = SqliteQueueStore(Path(path))
    taken = []
    while (item := store.claim(name)) is not None:
        taken.append(item.id)
        store.finish(item.id, {"kind": "registered"}, status=ItemStatus.DONE, worker=name)
    out.put(taken)


def test_claims_from_four_processes_at_once_should_never_take_the_same_item(tmp_path: Path) -> None:
    path = tmp_path / "queue.sqlite3"
    with SqliteQueueStore(path) as store:
        for i in range(300):
            store.add(f"r{i}", REQUEST)
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_claim_all, args=(str(path), f"w{i}", out)) for i in range(4)]
    for p in procs:
        p.start()
    results = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    taken = [i for r in results for i in r]
    assert len(taken) == 300 and len(set(taken)) == 300
    with SqliteQueueStore(path) as store:
        assert store.counts()[ItemStatus.DONE] == 300
        history = store._rows("SELECT item_id FROM history WHERE to_status = 'in_progress'")
        assert len(history) == 300


def test_history_table_is_written_for_every_change(store: SqliteQueueStore) -> None:
    item, _ = store.add("a", REQUEST)
    store.claim("w")
    store.finish(
        item.id,
        {"kind": "failed", "reason_code": "site_error"},
        status=ItemStatus.PENDING,
        attempts=1,
    )
    entries = store.history(item.id)
    assert entries[-1]["reason"] == "site_error"
    assert entries[-1]["detail"]["attempts"] == 1
    with pytest.raises(sqlite3.IntegrityError):
        store._db.execute(
            "INSERT INTO items (ref, status, created_at, updated_at)"
            " VALUES ('x', 'bogus', 'n', 'n')"
        )


def test_two_items_about_the_same_person_are_never_worked_on_at_once(
    store: SqliteQueueStore,
) -> None:
    a, _ = store.add("ref-a", REQUEST, person_key="fp-1")
    b, _ = store.add("ref-b", REQUEST, person_key="fp-1")
    c, _ = store.add("ref-c", REQUEST, person_key="fp-2")
    first = store.claim("w1")
    second = store.claim("w2")
    assert first is not None and first.id == a.id
    assert second is not None and second.id == c.id  # b waits: its person is in progress
    assert store.claim("w3") is None
    store.finish(a.id, {"kind": "registered"}, status=ItemStatus.DONE)
    third = store.claim("w3")
    assert third is not None and third.id == b.id
