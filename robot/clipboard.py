"""The operating system clipboard, and choosing how the Patient-ID travels between the sites.

Transfer modes: ``system`` copies in the browser with the keyboard and pastes through the
operating system clipboard (works when PMO runs in another window or program); ``browser`` uses
the browser's own clipboard; ``fill`` types the number. ``auto`` picks ``system`` when that can
work (a headed browser and a reachable system clipboard), else ``browser``.

On Linux the clipboard is reached through xclip or xsel (X11) or wl-clipboard (Wayland) with a
timeout on every call, instead of through pyperclip: pyperclip waits without a timeout, and
its copy leaves the backgrounded xclip holding the caller's stdout, so ``reservrobot ... | jq``
or a test capturing output would hang until something else took the clipboard. Elsewhere
(Windows, macOS) pyperclip does the work.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Literal

import pyperclip

from robot.errors import ApplicationError, ConfigError
from robot.settings import TransferMode

ResolvedTransferMode = Literal["system", "browser", "fill"]
TIMEOUT_S = 2.0


class ClipboardError(ApplicationError):
    """The system clipboard could not be read or written."""

    default_code = "clipboard_unavailable"


@dataclass(frozen=True)
class _Tool:
    """Command lines of one clipboard program (Linux)."""

    name: str
    copy: tuple[str, ...]
    paste: tuple[str, ...]
    # stderr text meaning "the clipboard is empty" (not a failure) when paste exits non-zero.
    empty_marker: str | None = None


_XCLIP = _Tool(
    "xclip",
    ("xclip", "-selection", "clipboard", "-in"),
    ("xclip", "-selection", "clipboard", "-out"),
    empty_marker="not available",
)
_XSEL = _Tool("xsel", ("xsel", "--clipboard", "--input"), ("xsel", "--clipboard", "--output"))
_WL = _Tool("wl-clipboard", ("wl-copy",), ("wl-paste", "--no-newline"), "Nothing is copied")


def _uses_pyperclip() -> bool:
    return sys.platform in ("win32", "darwin")


def _linux_tool() -> tuple[_Tool | None, str | None]:
    """The clipboard program to use here, or None and the reason (Swedish) there is none."""
    if os.environ.get("WAYLAND_DISPLAY") and shutil.which("wl-copy") and shutil.which("wl-paste"):
        return _WL, None
    if not os.environ.get("DISPLAY"):
        return None, "Ingen skärm (DISPLAY saknas): starta Xvfb eller kör på en skrivbordsdator."
    for tool in (_XCLIP, _XSEL):
        if shutil.which(tool.copy[0]):
            return tool, None
    return None, "Varken xclip eller xsel är installerat (apt-get install xclip)."


def system_clipboard_problem() -> str | None:
    """Why the system clipboard cannot be used here (Swedish), or None when it can.

    Never blocks for long: the display is checked first, and the probe (a paste) has a
    timeout.
    """
    if _uses_pyperclip():
        try:
            pyperclip.paste()
        except pyperclip.PyperclipException as exc:
            return f"Urklippet kan inte läsas: {exc}"
        return None
    tool, problem = _linux_tool()
    if tool is None:
        return problem
    try:
        result = subprocess.run(
            tool.paste, capture_output=True, timeout=TIMEOUT_S, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        return f"{tool.name} svarade inte inom {TIMEOUT_S:g} s."
    except OSError as exc:
        return f"{tool.name} kunde inte startas: {exc.strerror}"
    if result.returncode == 0 or _is_empty(tool, result.stderr):
        return None
    return f"{tool.name} når inte urklippet: {result.stderr.decode(errors='replace').strip()}"


def system_clipboard_available() -> bool:
    """True when the operating system clipboard can be read and written from here."""
    return system_clipboard_problem() is None


def read_system() -> str:
    """The text on the system clipboard ("" when it is empty)."""
    if _uses_pyperclip():
        try:
            return str(pyperclip.paste())
        except pyperclip.PyperclipException as exc:
            raise ClipboardError(f"Urklippet kan inte läsas: {exc}") from exc
    tool = _require_tool()
    try:
        result = subprocess.run(
            tool.paste, capture_output=True, timeout=TIMEOUT_S, stdin=subprocess.DEVNULL
        )
    except (subprocess.TimeoutExpired, OSError) as exc:
        raise ClipboardError(f"Urklippet kan inte läsas ({tool.name}).") from exc
    if result.returncode != 0:
        if _is_empty(tool, result.stderr):
            return ""
        raise ClipboardError(f"Urklippet kan inte läsas ({tool.name}).")
    return result.stdout.decode("utf-8")


def write_system(text: str) -> None:
    """Put ``text`` on the system clipboard; it stays there after this process ends."""
    if _uses_pyperclip():
        try:
            pyperclip.copy(text)
        except pyperclip.PyperclipException as exc:
            raise ClipboardError(f"Urklippet kan inte skrivas: {exc}") from exc
        return
    tool = _require_tool()
    try:
        # X11 and Wayland clipboards are served by a process: xclip/wl-copy fork one into the
        # background. It must not inherit our stdout/stderr (see the module docstring).
        result = subprocess.run(
            tool.copy,
            input=text.encode("utf-8"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=TIMEOUT_S,
        )
    except (subprocess.TimeoutExpired, OSError) as exc:
        raise ClipboardError(f"Urklippet kan inte skrivas ({tool.name}).") from exc
    if result.returncode != 0:
        raise ClipboardError(f"Urklippet kan inte skrivas ({tool.name}).")
    # xclip's foreground process exits before its background copy owns the selection, so a
    # paste right away can still get the old text: wait (bounded) until the new text is there.
    deadline = time.monotonic() + TIMEOUT_S
    while read_system() != text:
        if time.monotonic() > deadline:
            raise ClipboardError(f"Urklippet tog inte emot texten ({tool.name}).")
        time.sleep(0.005)


def resolve_transfer_mode(mode: TransferMode, *, headless: bool) -> ResolvedTransferMode:
    """The transfer mode to use: ``auto`` decided here, explicit modes checked and returned.

    ``system`` needs a headed browser, because a headless Chromium keeps Ctrl+C in its own
    in-memory clipboard, and a reachable system clipboard; otherwise it is a ConfigError.
    """
    if mode == "auto":
        return "system" if not headless and system_clipboard_available() else "browser"
    if mode == "system":
        if headless:
            raise ConfigError(
                "Överföringsläget 'system' kräver en synlig webbläsare (headless = false): "
                "en osynlig webbläsare når inte datorns urklipp. Välj 'browser' eller 'auto'."
            )
        problem = system_clipboard_problem()
        if problem is not None:
            raise ConfigError(
                f"Överföringsläget 'system' kan inte användas: {problem} "
                "Välj 'browser' eller 'auto'."
            )
    return mode


def _require_tool() -> _Tool:
    tool, problem = _linux_tool()
    if tool is None:
        raise ClipboardError(problem or "Urklippet kan inte nås.")
    return tool


def _is_empty(tool: _Tool, stderr: bytes) -> bool:
    return tool.empty_marker is not None and tool.empty_marker in stderr.decode(errors="replace")
