"""The shipped scheduling files agree with the CLI's options and exit codes."""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path

from typer.testing import CliRunner

from apps.cli.main import app
from apps.exitcodes import ExitCode

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DEPLOY / "systemd" / name, encoding="utf-8")
    return parser


def _backlog_args(command: str) -> list[str]:
    words = shlex.split(command)
    return words[words.index("backlog") :]


def test_systemd_units_treat_needs_person_and_locked_as_success_and_stop_gracefully() -> None:
    for name in ("reservrobot-backlog.service", "reservrobot-backlog-watch.service"):
        service = _unit(name)["Service"]
        ok = {int(code) for code in service["SuccessExitStatus"].split()}
        assert ExitCode.NEEDS_PERSON in ok and ExitCode.SOME_FAILED not in ok
        assert service["KillMode"] == "mixed" and service["KillSignal"] == "SIGTERM"
        assert service["UMask"] == "0077"
    assert ExitCode.LOCKED in {
        int(c) for c in _unit("reservrobot-backlog.service")["Service"]["SuccessExitStatus"].split()
    }
    timer = _unit("reservrobot-backlog.timer")["Timer"]
    assert timer["Unit"] == "reservrobot-backlog.service" and timer["OnCalendar"]


def test_the_shipped_command_lines_are_valid_cli_invocations() -> None:
    commands = [
        _unit(n)["Service"]["ExecStart"]
        for n in ("reservrobot-backlog.service", "reservrobot-backlog-watch.service")
    ]
    cron = (DEPLOY / "cron" / "reservrobot-backlog").read_text("utf-8")
    [line] = [ln for ln in cron.splitlines() if ln and not ln.startswith(("#", "SHELL", "MAIL"))]
    [cron_command] = re.findall(r"bin/reservrobot (backlog run[^>;]*)", line)
    commands.append(cron_command)
    runner = CliRunner()
    for command in commands:
        args = _backlog_args(command)
        assert args[:2] == ["backlog", "run"]
        # --help after the options: typer parses (and rejects unknown) options first.
        result = runner.invoke(app, [*args, "--help"])
        assert result.exit_code == 0, (command, result.output)
    assert "75" in cron and "75 (0x4B)" in (DEPLOY / "windows" / "README.md").read_text("utf-8")


def test_the_screen_check_timer_and_cron_line_run_check_screens() -> None:
    service = _unit("reservrobot-check-screens.service")["Service"]
    assert shlex.split(service["ExecStart"])[1:] == ["check-screens"]
    timer = _unit("reservrobot-check-screens.timer")["Timer"]
    assert timer["Unit"] == "reservrobot-check-screens.service"
    cron = (DEPLOY / "cron" / "reservrobot-check-screens").read_text("utf-8")
    [line] = [ln for ln in cron.splitlines() if ln and not ln.startswith(("#", "SHELL", "MAIL"))]
    assert "reservrobot check-screens" in line
    result = CliRunner().invoke(app, ["check-screens", "--help"])
    assert result.exit_code == 0
    result = CliRunner().invoke(app, ["doctor", "--help"])
    assert "--screens" in result.output


def test_the_metrics_timer_writes_the_textfile_with_a_valid_command() -> None:
    service = _unit("reservrobot-metrics.service")["Service"]
    args = _backlog_args(service["ExecStart"])
    assert args[:2] == ["backlog", "metrics"] and "--out" in args
    assert args[args.index("--out") + 1].endswith(".prom")
    assert _unit("reservrobot-metrics.timer")["Timer"]["Unit"] == "reservrobot-metrics.service"
    result = CliRunner().invoke(app, [*args, "--help"])
    assert result.exit_code == 0, result.output


def test_windows_start_script_starts_the_attended_app_on_its_fixed_port() -> None:
    script = (DEPLOY / "windows" / "start-reservrobot-ui.cmd").read_bytes()
    assert b"\r\n" in script and b"\n" not in script.replace(b"\r\n", b"")  # CRLF for cmd.exe
    text = script.decode("utf-8")
    port = re.search(r'set "RESERVROBOT_UI_PORT=(\d+)"', text)
    assert port is not None
    assert 'reservrobot.exe" ui --port %RESERVROBOT_UI_PORT%' in text
    readme = (DEPLOY / "windows" / "README.md").read_text("utf-8")
    assert f"http://127.0.0.1:{port.group(1)}/" in readme
    assert "%LOCALAPPDATA%\\reservrobot" in text
    # The region's shared store, as the clerk's own database role, with no password (#25).
    dsn = re.search(r'set "RESERVROBOT_STORE_DSN=([^"]+)"', text)
    assert dsn is not None and dsn.group(1).startswith("postgresql://%USERNAME%@")
    assert ":" not in dsn.group(1).split("//", 1)[1].split("@", 1)[0]  # no password
    shortcut = (DEPLOY / "windows" / "install-shortcut.ps1").read_text("utf-8")
    assert "start-reservrobot-ui.cmd" in shortcut and "CreateShortcut" in shortcut
    # The options the script passes exist.
    result = CliRunner().invoke(app, ["ui", "--help"])
    assert result.exit_code == 0 and "--port" in result.output


def test_the_sweep_is_scheduled_at_night_with_a_valid_command_line() -> None:
    service = _unit("reservrobot-sweep.service")["Service"]
    timer = _unit("reservrobot-sweep.timer")["Timer"]
    assert timer["Unit"] == "reservrobot-sweep.service" and "02:30" in timer["OnCalendar"]
    assert service["SuccessExitStatus"].split() == [str(int(ExitCode.ANOMALIES_FOUND))]
    assert service["UMask"] == "0077"
    cron = (DEPLOY / "cron" / "reservrobot-sweep").read_text("utf-8")
    [line] = [ln for ln in cron.splitlines() if ln and not ln.startswith(("#", "SHELL", "MAIL"))]
    assert line.startswith("30 2 * * * reservrobot ")
    [cron_command] = re.findall(r"bin/reservrobot (sweep [^>;]*)", line)
    for command in (service["ExecStart"], cron_command):
        words = shlex.split(command)
        args = words[words.index("sweep") :]
        assert "--since" in args
        result = CliRunner().invoke(app, [*args, "--help"])
        assert result.exit_code == 0, (command, result.output)


def test_windows_clerk_pc_install_puts_no_robot_secret_on_the_pc() -> None:
    """The clerk signs in as themselves (issue 19): neither the start script nor the clerk-PC
    part of the install text sets a password or the pseudonym key in a file or variable."""
    script = (DEPLOY / "windows" / "start-reservrobot-ui.cmd").read_text("utf-8")
    assert not re.search(r"(?i)set \"?RESERVROBOT_\w*(PASSWORD|PSEUDONYM_KEY)", script)
    readme = (DEPLOY / "windows" / "README.md").read_text("utf-8")
    clerk_pc = readme.split("## The backlog with Task Scheduler")[0]
    assert not re.search(r"(?i)(RESERVROBOT_\w*PASSWORD|_password\s*=|pseudonym_key\s*=)", clerk_pc)
    assert "no robot password belongs on a clerk's pc" in " ".join(clerk_pc.lower().split())
    assert "secrets set pseudonym-key" in clerk_pc
    assert 'ui_sign_in = "robot_account"' in " ".join(clerk_pc.split())
