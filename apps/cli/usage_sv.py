"""Click's own usage errors in Swedish: a wrong command line is said in staff's words.

Typer (which vendors Click) says "Missing argument 'FIL'", "No such option: --x" or "Input
should be a valid integer" in English. Every ``reservrobot`` command line is read by the root
group (``apps.cli.edge.EdgeGroup``), which hands each usage error to ``usage_error_sv`` and
prints what it returns: one Swedish line naming the parameter (and the value given, and what
is expected), then ``Skriv 'reservrobot <kommando> --help' för hjälp.``; the exit code is the
table's ``INVALID_INPUT`` (``apps.exitcodes``). So one point covers every command, also one
added later.

Two things happen earlier, in the parameter and command classes ``apps.cli.help_sv`` gives
every command (``swedish_coercion``, ``with_context``):

- a value Typer cannot convert (``abc`` for a number, ``xml`` for one of ``text|json|fhir``) is
  said where the parameter and the value are both known, from the parameter's type; messages
  the project's own code raises (``typer.BadParameter("ange t.ex. 90, 90s ...")``) are Swedish
  already and are kept;
- an error Click's parser raises without its context (``--json=ja``) gets the command's, so
  the help hint names the right command.

Click's plain ``UsageError`` has no class per case: "no such command" and "extra arguments" are
known by Click's fixed English text; any other plain one becomes a generic Swedish line, never
the English message. The classes come from ``typer._click``: Typer names them nowhere else, and
its version is pinned (``tests/unit/test_cli_usage_sv.py`` runs every command's errors, so an
upgrade that changes them fails there).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import get_close_matches
from pathlib import Path
from typing import Any, get_args

from typer._click import exceptions as click_errors

from robot.logs import contains_identity

GENERIC_SV = "Kommandoraden går inte att tolka."
HIDDEN_VALUE_SV = "(ett id-nummer, visas inte)"

# Click's plain UsageError texts (``ctx.fail``), the only way to tell these cases apart.
# (Typer adds its own "Did you mean ...?": the same close matches are said in Swedish.)
_NO_SUCH_COMMAND = re.compile(r"No such command '(?P<name>.*?)'\.(?: Did you mean .*\?)?")
_EXTRA_ARGS = re.compile(r"Got unexpected extra argument\(s\) \((?P<args>.*)\)")


def usage_error_sv(exc: BaseException, ctx: Any = None) -> list[str] | None:
    """The Swedish lines for a usage error (None: not one, or Click's "no arguments: show the
    help", which prints the help itself). ``ctx`` is used when the error carries none."""
    if not isinstance(exc, click_errors.UsageError) or isinstance(
        exc, click_errors.NoArgsIsHelpError
    ):
        return None
    ctx = exc.ctx or ctx
    lines = [_message_sv(exc, ctx)]
    if ctx is not None and ctx.command.get_help_option(ctx) is not None:
        lines.append(f"Skriv '{ctx.command_path} {ctx.help_option_names[0]}' för hjälp.")
    return lines


def _message_sv(exc: click_errors.UsageError, ctx: Any) -> str:
    if isinstance(exc, click_errors.MissingParameter):
        param = exc.param
        if exc.param_hint is not None:
            name = f": {_names(exc.param_hint)}"
        else:
            name = f": {param_name_sv(param)}" if param is not None else ""
        expected = expected_sv(param) if param is not None and _typed(param) else None
        return f"Det saknas ett värde{name}" + (f" ({expected})." if expected else ".")
    if isinstance(exc, click_errors.BadParameter):
        if exc.param_hint is not None:
            where = f" för {_names(exc.param_hint)}"
        else:
            where = f" för {param_name_sv(exc.param)}" if exc.param is not None else ""
        return f"Fel värde{where}: {exc.message.rstrip('.')}."
    if isinstance(exc, click_errors.NoSuchOption):
        line = f"Det finns inget val {exc.option_name}."
        if exc.possibilities:
            line += f" Menade du {or_list_sv(sorted(exc.possibilities))}?"
        return line
    if isinstance(exc, click_errors.BadOptionUsage):
        return _bad_option_usage_sv(exc.option_name, ctx)
    if isinstance(exc, click_errors.BadArgumentUsage):
        return "Fel antal värden för ett av det du angav."
    return _plain_sv(exc.message, ctx)


def _bad_option_usage_sv(option: str, ctx: Any) -> str:
    param = _option(ctx, option)
    if param is not None and getattr(param, "is_flag", False):
        return f"{option} tar inget värde: skriv bara {option}."
    expected = expected_sv(param) if param is not None else None
    return f"Det saknas ett värde efter {option}" + (f" ({expected})." if expected else ".")


def _plain_sv(message: str, ctx: Any) -> str:
    if match := _NO_SUCH_COMMAND.fullmatch(message):
        name = match.group("name")
        line = f"Det finns inget kommando {_shown(name, quoted=True)}."
        close = get_close_matches(name, _commands(ctx))
        return line + (f" Menade du {or_list_sv(close)}?" if close else "")
    if match := _EXTRA_ARGS.fullmatch(message):
        return f"För många argument: {_shown(match.group('args'))}."
    return GENERIC_SV


def _commands(ctx: Any) -> list[str]:
    command = getattr(ctx, "command", None)
    if command is None or not hasattr(command, "list_commands"):
        return []
    return [str(name) for name in command.list_commands(ctx)]


def _option(ctx: Any, option: str) -> Any:
    command = getattr(ctx, "command", None)
    for param in getattr(command, "params", ()):
        if option in (*param.opts, *param.secondary_opts):
            return param
    return None


# The parameter, and what it expects -----------------------------------------------------------


def param_name_sv(param: Any) -> str:
    """How the command line names a parameter: an option by its (first) name, ``--workers``;
    an argument by its name in the help, ``ÄRENDE`` (or its own name in capitals)."""
    if param.param_type_name == "option":
        return str(param.opts[0])
    return str(param.metavar or param.name.upper())


def _names(hint: str | Sequence[str]) -> str:
    return hint if isinstance(hint, str) else " / ".join(hint)


def _typed(param: Any) -> bool:
    """True when the parameter takes something narrower than any text (a number, a choice, a
    date): then a missing value is said with what to give."""
    return expected_sv(param) is not None and not param.type_descriptor.is_path


def expected_sv(param: Any) -> str | None:
    """What a parameter takes, in Swedish (``ett heltal 1–16``, ``ett av: text, json``,
    ``en fil som finns``); None for any text."""
    from apps.cli.help_sv import range_sv  # help_sv imports this module

    desc = param.type_descriptor
    if desc.choices is not None:
        return "ett av: " + ", ".join(str(getattr(c, "value", c)) for c in desc.choices)
    annotation = get_args(desc.annotation)[0] if desc.is_list else desc.annotation
    info = desc.parameter_info
    span = range_sv(info.min, info.max)
    if annotation is int:
        return f"ett heltal{', ' + span if span else ''}"
    if annotation is float:
        return f"ett tal{', ' + span if span else ''} (t.ex. 2,5)"
    if desc.is_datetime:
        return "ett datum ÅÅÅÅ-MM-DD"
    if desc.is_path or annotation is Path:
        kind = _PATH_KINDS_SV[(bool(info.file_okay), bool(info.dir_okay))]
        return kind + (" som finns" if info.exists else "")
    return None


_PATH_KINDS_SV = {
    (True, False): "en fil",
    (False, True): "en mapp",
    (True, True): "en fil eller mapp",
    (False, False): "en fil eller mapp",
}


def bad_value_sv(param: Any, given: object) -> str:
    """The message of a value Typer could not convert: the value, and what to give instead."""
    expected = expected_sv(param)
    shown = _shown(str(given), quoted=True)
    return f"{shown} – ange {expected}" if expected else f"{shown} går inte att använda"


def or_list_sv(items: Sequence[str]) -> str:
    """``a``, ``a eller b``, ``a, b eller c``."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} eller {items[-1]}"


def _shown(value: str, *, quoted: bool = False) -> str:
    # A command line under a scheduler ends in its log: an identity number is never echoed.
    if contains_identity(value):
        return HIDDEN_VALUE_SV
    return f"'{value}'" if quoted else value


# The hooks ``apps.cli.help_sv`` puts into every parameter and command ------------------------


class _SwedishCoercion:
    """Typer's conversion of one parameter's value, its errors said in Swedish."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        typed = value
        if isinstance(value, str) and _takes_decimals(param):
            value = decimal_point(value)
        try:
            return self._inner.coerce(value, param=param, ctx=ctx)
        except click_errors.BadParameter as exc:
            given = _given(value, exc)
            message = bad_value_sv(param, typed if given == value else given)
            raise click_errors.BadParameter(message, ctx=ctx, param=param) from exc


def decimal_point(text: str) -> str:
    """A Swedish decimal comma as the point Python reads (``0,5`` -> ``0.5``); anything else
    (``0.5``, ``1,5,5``, ``abc``) unchanged, for the conversion to judge."""
    stripped = text.strip()
    if stripped.count(",") == 1 and "." not in stripped:
        return stripped.replace(",", ".")
    return text


def _takes_decimals(param: Any) -> bool:
    desc = getattr(param, "type_descriptor", None)
    if desc is None:
        return False
    annotation = get_args(desc.annotation)[0] if desc.is_list else desc.annotation
    return annotation is float


def swedish_coercion(inner: Any) -> Any:
    """Wrap a parameter's runtime conversion (``get_runtime_param``) so its errors are Swedish."""
    return _SwedishCoercion(inner)


def _given(value: Any, exc: BaseException) -> object:
    """The one value that failed: pydantic's error names it (one item of a list); a path's
    check has no such error, and its value is the one given."""
    errors = getattr(exc.__cause__, "errors", None)
    found = errors() if callable(errors) else []
    return found[0].get("input", value) if found else value


def with_context(exc: click_errors.UsageError, ctx: Any) -> None:
    """Give a usage error raised without a context (Click's parser does) the command's."""
    if exc.ctx is None:
        exc.ctx = ctx
        exc.cmd = ctx.command
