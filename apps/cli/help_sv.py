"""``--help`` in Swedish: Typer's and Click's own words, set once for both command lines.

Staff read ``reservrobot --help``; each command and option carries its Swedish text as
``help=`` (the docstrings stay English, for developers). What Typer and Click print around
those texts is English in the library, and is made Swedish here, in one place:

- the panel titles and labels (``Options``, ``Commands``, ``[default: ...]``...) are module
  constants of ``typer.rich_utils``, set when this module is imported;
- the usage line (``Usage: reservrobot [OPTIONS] COMMAND [ARGS]...``), the help option's own
  text, and the type column (``<str>``, ``<int range> [x>=1]``, ``<path>``) belong to each
  command and parameter object. ``swedish_help`` walks the command tree Typer built (the root
  group calls it, ``apps.cli.edge.EdgeGroup``), so every command, also one added later, is
  covered without its own code. The objects' classes become Swedish subclasses of Typer's own
  (``_SwedishCommand``, ``_SwedishOption``...): Typer has no setting for these words, and
  Click makes the usage line and the help option inside the command object. The same
  classes say a wrong value and a wrong command line in Swedish (``apps.cli.usage_sv``).

Shell completion (``--install-completion``) is switched off on both apps instead: its texts
are Typer's own English, and no clerk or scheduler completes commands in a shell.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from typer import rich_utils
from typer._click.exceptions import UsageError
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from apps.cli.usage_sv import swedish_coercion, with_context

HELP_OPTION_NAMES = ["--help", "-h"]
HELP_OPTION_SV = "Visa den här hjälpen."
USAGE_SV = "Användning: "
OPTIONS_METAVAR_SV = "[VAL]"
SUBCOMMAND_METAVAR_SV = "KOMMANDO ..."

# The titles and labels of Typer's help panels (and of its error panel).
rich_utils.ARGUMENTS_PANEL_TITLE = "Det du anger"
rich_utils.OPTIONS_PANEL_TITLE = "Val"
rich_utils.COMMANDS_PANEL_TITLE = "Kommandon"
rich_utils.ERRORS_PANEL_TITLE = "Fel"
rich_utils.DEPRECATED_STRING = "(används inte längre) "
rich_utils.DEFAULT_STRING = "[standard: {}]"
rich_utils.ENVVAR_STRING = "[miljövariabel: {}]"
rich_utils.REQUIRED_LONG_STRING = "[måste anges]"
rich_utils.RANGE_STRING = " {}"  # the range is worded by _SwedishParameter
rich_utils.ABORTED_TEXT = "Avbrutet."
rich_utils.RICH_HELP = "Skriv [blue]'{command_path} {help_option}'[/] för hjälp."

# Typer's type labels (what it prints between < and >) in words staff know.
_TYPES_SV = {
    "str": "text",
    "int": "tal",
    "float": "tal",
    "int range": "tal",
    "float range": "tal",
    "path": "fil eller mapp",
    "file": "fil",
    "directory": "mapp",
    "datetime": "datum",
}


def _type_sv(label: str) -> str:
    """``<str>`` -> ``text``, ``<list[int]>`` -> ``tal ...`` (repeatable); choices as given."""
    bare = label.removeprefix("<").removesuffix(">")
    if bare.startswith("list[") and bare.endswith("]"):
        return f"{_type_sv(bare[5:-1])} ..."
    return _TYPES_SV.get(bare, bare)


def _number_sv(value: float) -> str:
    """A number as staff write it: ``0,1``, ``30`` (not ``30.0``)."""
    return f"{value:g}".replace(".", ",")


def range_sv(
    low: float | None, high: float | None, *, number: Callable[[float], str] = _number_sv
) -> str | None:
    """A number range as staff say it: ``minst 1``, ``högst 16``, ``1–16``."""
    if low is not None and high is not None:
        return f"{number(low)}–{number(high)}"
    if low is not None:
        return f"minst {number(low)}"
    if high is not None:
        return f"högst {number(high)}"
    return None


class _SwedishOption(TyperOption):
    """An option whose type and range read in Swedish in ``--help`` (a flag shows none), and
    whose wrong value is said in Swedish."""

    def get_runtime_param(self) -> Any:
        return swedish_coercion(super().get_runtime_param())

    def display_type_rich(self, ctx: Any) -> str | None:
        if self.metavar is not None:
            return self.metavar
        if self.is_flag:
            return None
        return _type_sv(self.display_type(ctx))

    def _get_number_range_help_str(self) -> str | None:
        return range_sv(self.min, self.max)

    def _get_default_string(self, *, default_value: Any, **kwargs: Any) -> str:
        if isinstance(default_value, float):
            return _number_sv(default_value)
        return str(super()._get_default_string(default_value=default_value, **kwargs))


class _SwedishArgument(TyperArgument):
    """An argument whose type and range read in Swedish in ``--help`` (none when its name
    says what it is: ``FIL``, ``ÄRENDE``), and whose wrong value is said in Swedish."""

    def get_runtime_param(self) -> Any:
        return swedish_coercion(super().get_runtime_param())

    def display_type_rich(self, ctx: Any) -> str | None:
        if self.metavar is not None:
            return None
        return _type_sv(self.display_type(ctx))

    def _get_number_range_help_str(self) -> str | None:
        return range_sv(self.min, self.max)


def write_usage_sv(command: Any, ctx: Any, formatter: Any) -> None:
    """Click's usage line with the Swedish prefix (``Användning:``) instead of ``Usage:``."""
    pieces = command.collect_usage_pieces(ctx)
    formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=USAGE_SV)


class _SwedishCommand(TyperCommand):
    """A command whose usage line reads in Swedish, and whose usage errors know it."""

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        write_usage_sv(self, ctx, formatter)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except UsageError as exc:
            with_context(exc, ctx)
            raise


class _SwedishGroup(TyperGroup):
    """A group whose usage line reads in Swedish, and whose usage errors know it."""

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        write_usage_sv(self, ctx, formatter)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except UsageError as exc:
            with_context(exc, ctx)
            raise


def swedish_help(command: Any) -> None:
    """Make the usage line, the help option and the type column of ``command`` and every
    command below it Swedish (the texts of commands and options are their own ``help=``)."""
    if type(command) is TyperCommand:
        command.__class__ = _SwedishCommand
    elif type(command) is TyperGroup:
        command.__class__ = _SwedishGroup
    command.options_metavar = OPTIONS_METAVAR_SV
    if isinstance(command, TyperGroup):
        command.subcommand_metavar = SUBCOMMAND_METAVAR_SV
        for sub in command.commands.values():
            swedish_help(sub)
    # Click makes the help option once per command and keeps it (``get_help_option``).
    help_option = command.get_help_option(
        command.context_class(command, help_option_names=HELP_OPTION_NAMES)
    )
    if help_option is not None:
        help_option.help = HELP_OPTION_SV
    for param in [*command.params, help_option]:
        if type(param) is TyperOption:
            param.__class__ = _SwedishOption
        elif type(param) is TyperArgument:
            param.__class__ = _SwedishArgument
