"""Evidence: kept on failure only, private, masked, per item, never for protected identities."""

from __future__ import annotations

import base64
import json
import os
import stat
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import psutil
import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, Route

from robot.browser import BrowserSession
from robot.errors import BusinessError, SiteError
from robot.evidence import (
    MASK_COLOR,
    RECORDING_DIR,
    EvidenceRecorder,
    prepare_evidence,
    process_recording_dir,
)
from robot.settings import Settings
from robot.volatile import ram_backed

# A page like a search result: this person in a heading, other people in a table, a filled form.
PEOPLE_HTML = """<!doctype html><html lang="sv"><title>Sök</title>
<h1>Sökning för {own}</h1>
<table aria-label="Sökresultat" style="width:600px"><tr><th>Namn</th></tr>
<tr><td>Grannsson, Annan</td></tr><tr><td>Hemligsson, Skyddad</td></tr></table>
<form><label>Namn <input name="n" value="FORMVALUE"></label>
<label>Lösenord <input type="password" name="p"></label></form>
<button onclick="document.title='ran'">Kör</button><script>var seen = 1;</script></html>"""


@pytest.fixture(scope="module")
def session(
    local_site: str, playwright: Playwright, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BrowserSession]:
    settings = Settings(
        pmo_url=local_site,
        rns_url=local_site,
        timeout_ms=2_000,
        data_dir=tmp_path_factory.mktemp("evidence-session"),
    )
    with BrowserSession(settings, playwright=playwright) as browser_session:
        for site in ("pmo", "rns"):
            browser_session.context(site).route("**/people*", _people)
        yield browser_session


def _people(route: Route) -> None:
    own = route.request.url.rsplit("=", 1)[-1]
    route.fulfill(body=PEOPLE_HTML.format(own=own), content_type="text/html; charset=utf-8")


@pytest.fixture
def recorder(runtime_settings: Settings, tmp_path: Path) -> EvidenceRecorder:
    return EvidenceRecorder(runtime_settings.model_copy(update={"evidence_dir": tmp_path / "ev"}))


def _visit(session: BrowserSession, site: str, marker: str) -> Page:
    page = session.page(site)
    page.goto(f"/people?who={marker}")
    page.get_by_label("Lösenord").fill("TYPED-PASSWORD")
    page.get_by_label("Namn", exact=True).fill(f"typed-{marker}")
    return page


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _pixel(page: Page, png: bytes, x: float, y: float) -> str:
    """The colour of one pixel of ``png`` as #rrggbb (decoded by the browser itself)."""
    data = base64.b64encode(png).decode()
    return str(
        page.evaluate(
            """async ([data, x, y]) => {
                const img = new Image(); img.src = 'data:image/png;base64,' + data;
                await img.decode();
                const c = document.createElement('canvas');
                c.width = img.width; c.height = img.height;
                const g = c.getContext('2d'); g.drawImage(img, 0, 0);
                const [r, gr, b] = g.getImageData(x, y, 1, 1).data;
                return '#' + [r, gr, b].map(v => v.toString(16).padStart(2, '0')).join('');
            }""",
            [data, x, y],
        )
    )


def test_failure_keeps_masked_screens_redacted_html_and_step_log_in_private_folders(
    session: BrowserSession, recorder: EvidenceRecorder
) -> None:
    contexts = [session.context("pmo"), session.context("rns")]
    error = SiteError("PMO svarade 500", code="site_error")
    old_umask = os.umask(0)
    try:
        with (
            pytest.raises(SiteError) as raised,
            recorder.capture(
                "p_0123456789ab",
                contexts,
                protected=False,
                step_log=lambda: [{"step": "search_pmo", "status": "failed"}],
            ) as handle,
        ):
            page = _visit(session, "pmo", "THIS-PERSON")
            _visit(session, "rns", "THIS-PERSON-RNS")
            raise error
    finally:
        os.umask(old_umask)
    assert raised.value is error

    expected = recorder.root / date.today().isoformat() / "p_0123456789ab"
    assert handle.directory == expected
    for folder in (recorder.root, expected.parent, expected):
        assert _mode(folder) == 0o700, folder
    names = sorted(p.name for p in handle.paths)
    assert names == [
        "page-0-0.html",
        "page-1-0.html",
        "screen-0-0.png",
        "screen-1-0.png",
        "steps.json",
    ]  # no trace unless a support session asks for one
    assert sorted(p.name for p in expected.iterdir()) == names
    for path in handle.paths:
        assert _mode(path) == 0o600, path
        assert path.stat().st_size > 0

    html = (expected / "page-0-0.html").read_text()
    assert "THIS-PERSON" in html  # the item's own page ...
    for other in ("Grannsson", "Hemligsson", "FORMVALUE", "typed-", "TYPED-PASSWORD"):
        assert other not in html  # ... without the list of others or any typed value
    assert "[maskerat]" in html
    assert "onclick" not in html and "var seen" not in html  # the copy runs nothing ...
    assert "script-src 'none'" in html  # ... even where the app shows it
    steps = json.loads((expected / "steps.json").read_text())
    assert steps["error"] == {
        "type": "SiteError",
        "code": "site_error",
        "message": "PMO svarade 500",
    }
    assert steps["steps"] == [{"step": "search_pmo", "status": "failed"}]
    assert steps["pages"][0]["path"].endswith("/people")  # no query: it holds the search key

    # The table is painted over in the screenshot.
    box = page.get_by_role("table").bounding_box()
    assert box is not None
    shot = (expected / "screen-0-0.png").read_bytes()
    assert shot.startswith(b"\x89PNG")
    centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert _pixel(page, shot, *centre) == MASK_COLOR
    assert not (recorder.root / RECORDING_DIR).exists() or not any(
        (recorder.root / RECORDING_DIR).rglob("*.png")
    )


def test_success_keeps_nothing(session: BrowserSession, recorder: EvidenceRecorder) -> None:
    with recorder.capture("p_success0000", [session.context("pmo")], protected=False) as handle:
        _visit(session, "pmo", "ok")
    assert handle.directory is None and handle.paths == []
    assert not recorder.root.exists()


def test_a_business_error_keeps_nothing(
    session: BrowserSession, recorder: EvidenceRecorder
) -> None:
    with (
        pytest.raises(BusinessError),
        recorder.capture("p_business000", [session.context("pmo")], protected=False) as handle,
    ):
        _visit(session, "pmo", "needs-a-person")
        raise BusinessError("Osäker träff", code="uncertain_match")
    assert handle.directory is None
    assert not recorder.root.exists()


def test_pages_the_item_did_not_open_are_left_out_and_protected_items_leave_nothing(
    session: BrowserSession, recorder: EvidenceRecorder
) -> None:
    pmo, rns = session.context("pmo"), session.context("rns")
    with recorder.capture("p_before00000", [pmo, rns], protected=False):
        _visit(session, "rns", "EARLIER-PERSON")
    with (
        pytest.raises(SiteError),
        recorder.capture("p_protected00", [pmo, rns], protected=True) as protected,
    ):
        _visit(session, "pmo", "PROTECTED-PERSON")
        raise SiteError("fel")
    assert protected.directory is None and protected.paths == []
    assert not recorder.root.exists()
    assert session.page("pmo").url == "about:blank"  # nothing of theirs left on screen

    with (
        pytest.raises(SiteError),
        recorder.capture("p_after000000", [pmo, rns], protected=False) as handle,
    ):
        _visit(session, "pmo", "THIS-PERSON")
        raise SiteError("fel")
    assert handle.directory is not None
    # The RNS page still showed the earlier person: it was not opened by this item.
    assert sorted(p.name for p in handle.paths) == ["page-0-0.html", "screen-0-0.png", "steps.json"]
    everything = b"".join(p.read_bytes() for p in handle.paths)
    assert b"THIS-PERSON" in everything
    assert b"PROTECTED-PERSON" not in everything
    assert b"EARLIER-PERSON" not in everything


def test_opt_in_trace_is_redacted_and_playwrights_own_files_are_removed(
    session: BrowserSession, runtime_settings: Settings, tmp_path: Path
) -> None:
    traces_dir = session.traces_dir
    assert traces_dir is not None
    # In memory: never the temp folder, never the disk (the raw trace holds the password).
    assert session.recording_in_memory and ram_backed(traces_dir)
    recorder = EvidenceRecorder(
        runtime_settings.model_copy(update={"evidence_dir": tmp_path / "ev"}),
        traces_dir=traces_dir,
        trace=True,
    )
    contexts = [session.context("pmo")]
    with recorder.capture("p_traceok0000", contexts, protected=False):
        _visit(session, "pmo", "SUCCESS-PERSON")
    assert list(traces_dir.iterdir()) == []  # a successful item leaves no trace files

    with (
        pytest.raises(SiteError),
        recorder.capture("p_tracefail00", contexts, protected=False) as handle,
    ):
        _visit(session, "pmo", "TRACED-PERSON")
        session.page("pmo").get_by_role("table").evaluate("t => t.innerText")
        raise SiteError("fel")
    assert handle.directory is not None
    trace = handle.directory / "trace-0.zip"
    assert trace in handle.paths and _mode(trace) == 0o600
    assert list(traces_dir.iterdir()) == []
    with zipfile.ZipFile(trace) as archive:
        content = b"".join(archive.read(name) for name in archive.namelist())
        events = [json.loads(line) for line in archive.read("trace.trace").splitlines()]
    assert any(e.get("method") == "fill" for e in events)  # the actions are there ...
    for secret in (b"TYPED-PASSWORD", b"typed-TRACED", b"FORMVALUE", b"Grannsson", b"Hemligsson"):
        assert secret not in content  # ... without values, table text or response bodies
    assert b"SUCCESS-PERSON" not in content


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


def test_prepare_removes_leftovers_of_dead_processes_and_tightens_the_folders(
    runtime_settings: Settings, tmp_path: Path
) -> None:
    settings = runtime_settings.model_copy(
        update={
            "data_dir": tmp_path / "data",
            "evidence_dir": tmp_path / "data" / "evidence",
            "volatile_dir": tmp_path / "memory",  # not the one other tests' processes share
        }
    )
    settings.data_dir.mkdir(mode=0o755)
    old = settings.evidence_path / "2026-01-01" / "p_x"
    old.mkdir(parents=True, mode=0o755)
    (old / "screen-0-0.png").write_bytes(b"png")
    os.chmod(old / "screen-0-0.png", 0o644)
    dead = settings.evidence_path / RECORDING_DIR / "999999-12345-browser-abc" / "traces"
    dead.mkdir(parents=True)
    (dead / "x.trace").write_text("left by a killed run")
    mine = process_recording_dir(settings.evidence_path)
    (mine / "item-1").mkdir()
    parent = psutil.Process().parent()
    assert parent is not None
    alive = settings.evidence_path / RECORDING_DIR / f"{parent.pid}-{int(parent.create_time())}"
    alive.mkdir()

    assert prepare_evidence(settings.model_copy(update={"evidence_retention_days": 36500})) == 1
    assert not dead.parent.exists()
    assert (mine / "item-1").is_dir() and alive.is_dir()  # running processes keep theirs
    assert _mode(settings.data_dir) == 0o700
    assert _mode(old) == 0o700 and _mode(old.parent) == 0o700
    assert _mode(old / "screen-0-0.png") == 0o600


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
