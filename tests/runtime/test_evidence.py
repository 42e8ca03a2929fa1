"""Evidence: kept on failure only, private, per item, never for protected identities."""

from __future__ import annotations

import os
import stat
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Playwright

from robot.browser import BrowserSession
from robot.errors import SiteError
from robot.evidence import EvidenceRecorder
from robot.settings import Settings


@pytest.fixture(scope="module")
def session(local_site: str, playwright: Playwright) -> Iterator[BrowserSession]:
    settings = Settings(pmo_url=local_site, rns_url=local_site, timeout_ms=2_000)
    with BrowserSession(settings, playwright=playwright) as browser_session:
        yield browser_session


@pytest.fixture
def recorder(runtime_settings: Settings, tmp_path: Path) -> EvidenceRecorder:
    return EvidenceRecorder(runtime_settings.model_copy(update={"evidence_dir": tmp_path / "ev"}))


def _visit(session: BrowserSession, site: str, marker: str) -> None:
    page = session.page(site)
    page.goto(f"/plain?item={marker}")
    page.get_by_label("Patient-ID").fill(f"value-{marker}")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _zip_text(path: Path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return b"".join(archive.read(name) for name in archive.namelist())


def test_failure_keeps_screenshots_and_trace_in_private_folders_whatever_the_umask(
    session: BrowserSession, recorder: EvidenceRecorder
) -> None:
    contexts = [session.context("pmo"), session.context("rns")]
    error = SiteError("PMO svarade 500")
    old_umask = os.umask(0)
    try:
        with (
            pytest.raises(SiteError) as raised,
            recorder.capture("p_0123456789ab", contexts, protected=False) as handle,
        ):
            _visit(session, "pmo", "failing")
            _visit(session, "rns", "failing-rns")
            raise error
    finally:
        os.umask(old_umask)
    assert raised.value is error

    expected = recorder.root / date.today().isoformat() / "p_0123456789ab"
    assert handle.directory == expected
    for folder in (recorder.root, expected.parent, expected):
        assert _mode(folder) == 0o700, folder
    names = sorted(p.name for p in handle.paths)
    assert names == ["screen-0-0.png", "screen-1-0.png", "trace-0.zip", "trace-1.zip"]
    assert sorted(p.name for p in expected.iterdir()) == names
    for path in handle.paths:
        assert _mode(path) == 0o600, path
        assert path.stat().st_size > 0
    assert (expected / "screen-0-0.png").read_bytes().startswith(b"\x89PNG")
    pmo_trace = _zip_text(expected / "trace-0.zip")
    assert b"item=failing" in pmo_trace and b"value-failing" in pmo_trace
    assert b"item=failing-rns" in _zip_text(expected / "trace-1.zip")


def test_success_keeps_nothing(session: BrowserSession, recorder: EvidenceRecorder) -> None:
    with recorder.capture("p_success0000", [session.context("pmo")], protected=False) as handle:
        _visit(session, "pmo", "ok")
    assert handle.directory is None and handle.paths == []
    assert not recorder.root.exists()


def test_protected_item_leaves_nothing_on_disk_or_in_the_next_failed_items_trace(
    session: BrowserSession, recorder: EvidenceRecorder
) -> None:
    contexts = [session.context("pmo")]
    with recorder.capture("p_before00000", contexts, protected=False):
        _visit(session, "pmo", "EARLIER-PERSON")
    with (
        pytest.raises(SiteError),
        recorder.capture("p_protected00", contexts, protected=True) as protected,
    ):
        _visit(session, "pmo", "PROTECTED-PERSON")
        raise SiteError("fel")
    assert protected.directory is None and protected.paths == []
    assert not recorder.root.exists()
    assert session.page("pmo").url == "about:blank"  # nothing of theirs left on screen

    with (
        pytest.raises(SiteError),
        recorder.capture("p_after000000", contexts, protected=False) as handle,
    ):
        _visit(session, "pmo", "THIS-PERSON")
        raise SiteError("fel")
    assert handle.directory is not None
    trace = _zip_text(handle.directory / "trace-0.zip")
    assert b"THIS-PERSON" in trace
    assert b"PROTECTED-PERSON" not in trace
    assert b"EARLIER-PERSON" not in trace


def test_second_failure_of_an_item_on_the_same_day_gets_its_own_folder(
    session: BrowserSession, recorder: EvidenceRecorder
) -> None:
    contexts: list[BrowserContext] = [session.context("pmo")]
    folders = []
    for _ in range(2):
        with (
            pytest.raises(SiteError),
            recorder.capture("p_again", contexts, protected=False) as handle,
        ):
            _visit(session, "pmo", "again")
            raise SiteError("fel")
        folders.append(handle.directory)
    assert folders[0] is not None and folders[1] == folders[0].with_name("p_again-2")


def test_an_identity_number_as_item_key_is_refused(recorder: EvidenceRecorder) -> None:
    with (
        pytest.raises(ValueError, match="pseudonym"),
        recorder.capture("19612121201M7", [], protected=False),
    ):
        pass


def test_purge_deletes_only_day_folders_older_than_the_retention(
    runtime_settings: Settings, tmp_path: Path
) -> None:
    settings = runtime_settings.model_copy(
        update={"evidence_dir": tmp_path / "ev", "evidence_retention_days": 7}
    )
    recorder = EvidenceRecorder(settings)
    now = datetime(2026, 5, 20, 9, 30)
    days = {n: (now.date() - timedelta(days=n)).isoformat() for n in (0, 7, 8, 30)}
    for day in days.values():
        (recorder.root / day / "p_x").mkdir(parents=True)
        (recorder.root / day / "p_x" / "trace-0.zip").write_bytes(b"zip")
    (recorder.root / "notes").mkdir()
    (recorder.root / "2020-01-01").write_text("a file, not a day folder")

    assert recorder.purge_expired(now=now) == 2
    left = sorted(p.name for p in recorder.root.iterdir())
    assert left == sorted(["2020-01-01", "notes", days[0], days[7]])
    assert recorder.purge_expired(now=now) == 0
