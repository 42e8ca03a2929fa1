"""What every command of the ``reservrobot`` command line shares: settings, logging, output."""

from __future__ import annotations

import logging
from typing import Any

import typer
from rich.console import Console

from apps.exitcodes import ExitCode
from robot.logs import configure_logging
from robot.settings import Settings, TransferMode

# Every line printed for people is plain text: user data (names, file headers) may contain
# square brackets that Rich would read as markup. Never wrapped by Rich (soft_wrap): a line cut
# at 80 columns breaks Patient-IDs and paths in a redirected output; the terminal wraps itself.
out = Console(highlight=False, markup=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)


def build_settings(**overrides: Any) -> Settings:
    """Settings from the environment/.env/TOML with the given command-line overrides."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except Exception as exc:  # pydantic ValidationError: a setting has a wrong value
        err.print(f"Inställningarna är felaktiga: {exc}")
        raise typer.Exit(ExitCode.INVALID_INPUT) from None


def edge_settings(*, headed: bool | None, transfer: str | None) -> Settings:
    """Settings for a command that drives the browser (``--headed``, ``--transfer``)."""
    if transfer is not None and transfer not in ("auto", "system", "browser", "fill"):
        err.print("--transfer ska vara auto, system, browser eller fill.")
        raise typer.Exit(ExitCode.INVALID_INPUT)
    mode: TransferMode | None = transfer  # type: ignore[assignment]
    return build_settings(headless=None if headed is None else not headed, transfer_mode=mode)


def configure_cli_logging(settings: Settings, *, as_json: bool) -> None:
    """Machines (``--json``) get every event as JSON lines on stderr; people only warnings."""
    if as_json:
        configure_logging(settings, json=True)
    else:
        configure_logging(settings, json=False, level=logging.WARNING)
