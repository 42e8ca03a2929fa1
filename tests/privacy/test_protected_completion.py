"""A protected patient's completion reaches the runner as protected, from the CLI and the app
(the runner then keeps no evidence: tests/privacy/test_artefact_scan.py)."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar

import pytest
from typer.testing import CliRunner

import apps.cli.register as register_cli
from apps.cli.main import app
from apps.ui.work import complete_work
from flows.rules.outcome import Outcome, OutcomeKind


class _Recorder:
    """Stands in for the Runner: records how completion was asked for."""

    calls: ClassVar[list[dict[str, Any]]] = []

    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def __enter__(self) -> _Recorder:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def complete_pnr(self, patient_id: str, personnummer: str, **options: Any) -> Outcome:
        self.calls.append({"patient_id": patient_id, **options})
        return Outcome(kind=OutcomeKind.FAILED, reason_code="site_error", reason_sv="fel")


def test_the_apps_completion_passes_protected_on() -> None:
    _Recorder.calls = []
    work = complete_work("19612121201M7", "196121212018", identity_checked=True, protected=True)
    work(_Recorder(), lambda event: None, lambda: False)  # type: ignore[arg-type]
    assert _Recorder.calls[-1]["protected"] is True
    complete_work("19612121201M7", "196121212018", identity_checked=True)(
        _Recorder(),  # type: ignore[arg-type]
        lambda event: None,
        lambda: False,
    )
    assert _Recorder.calls[-1]["protected"] is False


def test_complete_pnr_protected_reaches_the_runner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _Recorder.calls = []
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(register_cli, "Runner", _Recorder)
    env = {"RESERVROBOT_DATA_DIR": str(tmp_path / "data")}
    args = ["complete-pnr", "19612121201M7", "196121212018", "--identity-checked"]
    result = CliRunner().invoke(app, [*args, "--protected"], env=env)
    assert result.exit_code == 1, result.output
    assert _Recorder.calls[-1]["protected"] is True
    CliRunner().invoke(app, args, env=env)
    assert _Recorder.calls[-1]["protected"] is False
