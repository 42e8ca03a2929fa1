"""The edge of every ``reservrobot`` command: what a process opens once, and how it ends.

procrastinate's ``cli.py`` is the model: one place opens the app and one function turns any
error into one printed message and one exit status. Here the root callback of the command line
(``open_edge``) builds the settings, the actor (the OS user), the consoles and the logging once
per process and hands them to every command as ``ctx.obj`` (``edge_of(ctx)``); ``EdgeGroup``
maps the errors that escape any command to the exit-code table (``apps.exitcodes``), with one
Swedish line each:

    settings, configuration or input      -> 3  (nothing was done)
    the store (queue, journal, audit)     -> 4
    another run holds the queue's lock    -> 75
    any other error of the robot          -> 1

A wrong command line (an unknown option, a missing argument, a value of the wrong type) is
Click's usage error: said in Swedish (``apps.cli.usage_sv``) and ended with exit code 3, as
wrong input.
"""

from __future__ import annotations

import logging
import socket
import sys
from dataclasses import dataclass
from typing import Any, Literal

import typer
from rich.console import Console
from typer.core import TyperGroup

from apps.backlog.lock import RunLockHeld
from apps.cli.help_sv import HELP_OPTION_NAMES, swedish_help, write_usage_sv
from apps.cli.usage_sv import usage_error_sv
from apps.exitcodes import ExitCode
from apps.ui.console import console_wording
from robot.actor import os_user
from robot.errors import BusinessError, ConfigError, RobotError, StoreError
from robot.logs import configure_logging, log_file_path
from robot.settings import Settings, load_settings

# Every line printed for people is plain text: user data (names, file headers) may contain
# square brackets that Rich would read as markup; colour is given as a style, never as markup.
# Never wrapped by Rich (soft_wrap): a line cut at 80 columns breaks Patient-IDs and paths in a
# redirected output (and a scheduler's log reads one message per line); the terminal wraps.
out = Console(highlight=False, markup=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)

STORE_BROKEN_SV = (
    "Robotens lagring (kön, journalen, granskningsloggen) går inte att läsa: ingenting gjordes."
)

# Set by ``EdgeGroup`` when the command line asks for help: help needs no settings.
_HELP_ONLY = "reservrobot.help_only"

LogMode = Literal["people", "machines", "batch", "console"]


@dataclass
class Edge:
    """What every command of one process shares (``ctx.obj``)."""

    settings: Settings
    user: str
    out: Console
    err: Console

    @classmethod
    def open(cls) -> Edge:
        """Settings from the environment, ``.env`` and ``reservrobot.toml``; people's logging.

        A wrong setting raises ``ConfigError`` (one Swedish line), which ``EdgeGroup`` maps to
        exit code 3 for every command alike.
        """
        edge = cls(settings=load_settings(), user=os_user(), out=out, err=err)
        edge.use_logging("people")
        return edge

    def actor(self, role: str, *, with_host: bool = False) -> str:
        """How this process appears in the audit log and the queue: ``<role>:<user>[@host]``."""
        return f"{role}:{self.user}@{socket.gethostname()}" if with_host else f"{role}:{self.user}"

    def with_options(self, **options: Any) -> Settings:
        """The settings with this command's options (``--headed``...); ``None`` keeps a value."""
        update = {k: v for k, v in options.items() if v is not None}
        return self.settings.model_copy(update=update) if update else self.settings

    def use_logging(self, mode: LogMode) -> None:
        """Where the robot's (redacted, pseudonymised) log events go for this command.

        ``people``: readable warnings on stderr (the default of every command).
        ``machines`` (``--json``, the attended app's server): every event as JSON lines on
        stderr. ``batch`` (a queue run or import): at a terminal, warnings on stderr and every
        event as JSON in the log file; under a scheduler, JSON lines on stderr. ``console``
        (the attended app's window, ``apps.ui.console``): short Swedish lines on stderr, every
        event as JSON in the log file.
        """
        s = self.settings
        if mode == "console":
            configure_logging(s, to_file=True, console=console_wording(log_file_path(s.data_dir)))
        elif mode == "machines" or (mode == "batch" and not sys.stderr.isatty()):
            configure_logging(s, json=True)
        elif mode == "batch":
            configure_logging(s, json=False, to_file=True, stderr_level=logging.WARNING)
        else:
            configure_logging(s, json=False, level=logging.WARNING)


def edge_of(ctx: typer.Context) -> Edge:
    """The edge the root callback opened for this command (``ctx.obj``)."""
    edge = ctx.find_object(Edge)
    if edge is None:  # a command run outside ``reservrobot`` (a programming error)
        raise RuntimeError("the command runs outside the reservrobot command line")
    return edge


def open_edge(ctx: typer.Context) -> None:
    """The root callback: open the edge once for whichever command runs."""
    if ctx.resilient_parsing or ctx.meta.get(_HELP_ONLY):
        return
    ctx.obj = Edge.open()


def refuse_unsafe_setup(settings: Settings) -> None:
    """Stop (exit 3) before anything starts when the settings are unsafe for real systems."""
    problems = settings.unsafe_setup_problems()
    if not problems:
        return
    err.print("Roboten startas inte: inställningarna är inte säkra för riktiga system.")
    for problem in problems:
        err.print(f"  - {problem}")
    raise typer.Exit(ExitCode.INVALID_INPUT)


def exit_for(exc: BaseException) -> tuple[ExitCode, str] | None:
    """The exit code and Swedish line of an error that escaped a command (None: not ours)."""
    if isinstance(exc, RunLockHeld):
        return ExitCode.LOCKED, f"{exc} Försök igen senare."
    if isinstance(exc, StoreError):
        return ExitCode.STORE_BROKEN, f"{STORE_BROKEN_SV} {exc.message}"
    if isinstance(exc, ConfigError | BusinessError):
        return ExitCode.INVALID_INPUT, exc.message
    if isinstance(exc, RobotError):
        return ExitCode.SOME_FAILED, exc.message
    return None


# A usage error (an unknown or wrong option) has Click's exit status 2, which the exit-code
# table gives to "needs a person": it is wrong input instead.
_CLICK_USAGE = 2


class EdgeGroup(TyperGroup):
    """The root group: one error mapping for every command below it, and ``--help`` (``-h``)
    in Swedish for all of them (``apps.cli.help_sv``).

    (The context is typed ``Any``: Typer vendors Click and names its context type privately.)
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.context_settings.setdefault("help_option_names", HELP_OPTION_NAMES)
        swedish_help(self)

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        write_usage_sv(self, ctx, formatter)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        ctx.meta[_HELP_ONLY] = any(name in args for name in HELP_OPTION_NAMES)
        try:
            return super().parse_args(ctx, args)
        except typer.TyperException as exc:
            _usage_error(exc, ctx)
            raise

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except typer.TyperException as exc:  # Click's own (usage) errors
            _usage_error(exc, ctx)
            raise
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            mapped = exit_for(exc)
            if mapped is None:
                raise  # a defect: the traceback (without locals) is what support needs
            code, line = mapped
            err.print(line)
            raise typer.Exit(int(code)) from None


def _usage_error(exc: typer.TyperException, ctx: Any) -> None:
    """A usage error: its Swedish lines on stderr, and exit 3 (wrong input). Any other error of
    Typer's (and "no arguments: the help") goes on to Typer, with Click's 2 made 3 too."""
    lines = usage_error_sv(exc, ctx)
    if lines is None:
        if exc.exit_code == _CLICK_USAGE:
            exc.exit_code = ExitCode.INVALID_INPUT
        return
    for line in lines:
        err.print(line)
    raise typer.Exit(ExitCode.INVALID_INPUT) from None
