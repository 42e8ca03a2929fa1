"""``reservrobot doctor``: settings, browser, clipboard, and that both sites answer and log in."""

from __future__ import annotations

import contextlib
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

import httpx
import typer

from apps.cli.check_screens import describe, screen_report
from apps.cli.edge import edge_of
from apps.exitcodes import ExitCode
from flows.config import RoutineConfig
from flows.coordination import COMPONENT as COORDINATION
from flows.rules.vocabulary import system_sv
from flows.runner import Runner
from flows.transfer import FillTransfer
from robot import clipboard
from robot.db import open_database
from robot.display import virtual_display
from robot.errors import RobotError
from robot.secrets import ROBOT_PASSWORDS, secret_origins
from robot.settings import Settings, toml_file
from robot.store_key import verify_store_key
from robot.volatile import volatile_root


@dataclass(frozen=True)
class Check:
    """One line of ``reservrobot doctor``."""

    name: str
    ok: bool
    detail: str
    # For a failed check: what to do about it (printed under the FEL line).
    next_step: str = ""
    warning: bool = False  # fine to run, but a person should look (printed "OBS")


def doctor(
    ctx: typer.Context,
    headed: Annotated[
        bool | None, typer.Option("--headed/--headless", help="Visa webbläsaren under kontrollen.")
    ] = None,
    screens: Annotated[
        bool,
        typer.Option(
            "--screens", help="Gå också igenom varje skärm utan att ändra något (check-screens)."
        ),
    ] = False,
) -> None:
    """Check settings, browser, clipboard, and that each site answers and accepts the login."""
    settings = edge_of(ctx).with_options(headless=None if headed is None else not headed)
    failed = False
    for check in doctor_checks(settings):
        label = ("OBS" if check.warning else "OK ") if check.ok else "FEL"
        typer.echo(f"{label}  {check.name}: {check.detail}")
        if not check.ok:
            typer.echo(f"     Gör så här: {check.next_step or GENERIC_NEXT_STEP_SV}")
        failed = failed or not check.ok
    if screens:
        report = screen_report(settings)
        for finding in report.drifted:
            typer.echo(f"FEL  Skärm: {describe(finding)}")
        n = len(report.findings)
        typer.echo(f"{'OK ' if report.clean else 'FEL'}  Skärmar: {n} nycklar kontrollerade")
        failed = failed or not report.clean
    raise typer.Exit(ExitCode.SOME_FAILED if failed else ExitCode.OK)


GENERIC_NEXT_STEP_SV = (
    "rätta inställningen som nämns ovan och kör reservrobot doctor igen; kvarstår felet, "
    "kontakta den som sköter roboten."
)
# Each site's address setting, as the operations doc names it.
URL_SETTING = {
    "pmo": "RESERVROBOT_PMO_URL",
    "rns": "RESERVROBOT_RNS_URL",
    "plexus": "RESERVROBOT_PLEXUS_URL",
}


def _genitive(name: str) -> str:
    """Swedish genitive: "PMO:s" for an abbreviation, "Reservnummersystemets" otherwise."""
    return f"{name}:s" if name[-1:].isupper() else f"{name}s"


def _unreachable(site: str, url: str, exc: httpx.HTTPError, timeout_s: float) -> Check:
    """A site that does not answer, in Swedish, with the address tried and what to do."""
    if isinstance(exc, httpx.TimeoutException):
        why = f"svarade inte inom {timeout_s:g} s"
    elif isinstance(exc, httpx.ConnectError):
        why = "ingen anslutning (ingen server svarar på adressen)"
    else:
        why = "kunde inte nås"
    return Check(
        f"{system_sv(site)} svarar",
        False,
        f"{url}: {why}",
        f"kontrollera adressen i {URL_SETTING[site]} (nu {url}), att datorn når nätet och att "
        f"{system_sv(site)} är i drift.",
    )


def _shows_site(runner: Runner, site: str) -> Check | None:
    """None when the signed-in page of ``site`` shows that system; else a failed check saying
    which system the address shows instead (a PMO address pointing at Reservnummersystemet
    logs in just as well, so the screen itself decides)."""
    ctx = runner.context
    own = ctx.pmo if site == "pmo" else ctx.rns
    other_site = "rns" if site == "pmo" else "pmo"
    other = ctx.rns if site == "pmo" else ctx.pmo
    page = own.site.page
    with contextlib.suppress(RobotError):
        own.search.open()
    if own.search.shown_on(page):
        return None
    url = runner.settings.site(site).url
    shows = (
        f"den visar {system_sv(other_site)}"
        if other.search.shown_on(page)
        else f"den visar inte {_genitive(system_sv(site))} sökskärm"
    )
    return Check(
        f"{system_sv(site)} inloggning",
        False,
        f"adressen {url} är fel: {shows}",
        f"rätta {URL_SETTING[site]} (nu {url}) till {_genitive(system_sv(site))} adress.",
    )


def doctor_checks(settings: Settings) -> Iterator[Check]:
    """Every check of ``doctor``, one at a time (a failed check does not stop the others)."""
    try:
        RoutineConfig.load(settings)
        yield Check(
            "Inställningar",
            True,
            f"{settings.config_dir} (PMO-layout "
            f"{settings.pmo.selectors}, region {settings.region})",
        )
    except Exception as exc:
        yield Check("Inställningar", False, str(exc))
    yield region_check(settings)
    yield safety_check(settings)
    yield secrets_check(settings)
    yield sign_in_check(settings)
    yield from folder_checks(settings)
    yield memory_check(settings)
    yield store_check(settings)
    try:
        mode = clipboard.resolve_transfer_mode(settings.transfer_mode, headless=settings.headless)
        problem = clipboard.system_clipboard_problem()
        note = "datorns urklipp nås" if problem is None else f"datorns urklipp nås inte: {problem}"
        yield Check("Urklipp", True, f"överföring {settings.transfer_mode} -> {mode}; {note}")
    except RobotError as exc:
        yield Check("Urklipp", False, exc.message)
    sites = ["pmo", "rns"] + (["plexus"] if settings.rns.access == "plexus" else [])
    answering = []
    for site in sites:
        url = settings.site(site).url
        try:
            response = httpx.get(url + "/", timeout=settings.timeout_ms / 1000, trust_env=False)
            ok = response.status_code < 500
            yield Check(f"{system_sv(site)} svarar", ok, f"{url} (HTTP {response.status_code})")
            if ok:
                answering.append(site)
        except httpx.HTTPError as exc:
            yield _unreachable(site, url, exc, settings.timeout_ms / 1000)
    display = virtual_display() if not settings.headless else contextlib.nullcontext()
    try:
        with display, Runner(settings, transfer=FillTransfer()) as runner:
            version = runner.session.browser.version
            yield Check(
                "Webbläsare",
                True,
                f"Chromium {version} ({'synlig' if not settings.headless else 'headless'})",
            )
            if not _has_robot_login(settings):
                yield Check(
                    "Inloggning",
                    True,
                    "ingen robotinloggning på den här datorn: handläggaren loggar in med sitt "
                    "eget konto i appens fönster",
                )
                return
            ctx = runner.context
            logins: list[tuple[str, Callable[[], None]]] = [("pmo", ctx.pmo.site.open_home)]
            logins.append(("rns", ctx.rns.reach))
            for site, login in logins:
                if site not in answering and not (site == "rns" and "plexus" in answering):
                    yield Check(f"{system_sv(site)} inloggning", False, "webbplatsen svarar inte")
                    continue
                try:
                    login()
                    wrong = _shows_site(runner, site)
                    if wrong is not None:
                        yield wrong
                        continue
                    yield Check(
                        f"{system_sv(site)} inloggning",
                        True,
                        f"inloggad som {settings.site(site).username}"
                        + (
                            " via Plexus"
                            if site == "rns" and settings.rns.access == "plexus"
                            else ""
                        ),
                    )
                except Exception as exc:
                    url = settings.site(site).url
                    message = exc.message if isinstance(exc, RobotError) else "oväntat fel"
                    yield Check(
                        f"{system_sv(site)} inloggning",
                        False,
                        f"{url}: {message}",
                        f"kontrollera användarnamn och lösenord för {system_sv(site)} och "
                        f"adressen i {URL_SETTING[site]} (nu {url}).",
                    )
    except Exception as exc:
        message = exc.message if isinstance(exc, RobotError) else "webbläsaren startade inte"
        yield Check(
            "Webbläsare",
            False,
            message,
            "kör ./run setup (installerar Chromium) eller ange RESERVROBOT_BROWSER_EXECUTABLE.",
        )


def safety_check(settings: Settings) -> Check:
    """Demo values (placeholder pseudonym key, demo/demo) only against this computer's sites."""
    problems = settings.unsafe_setup_problems()
    if problems:
        return Check("Säkerhet", False, " ".join(problems))
    if settings.is_demo_setup:
        return Check(
            "Säkerhet",
            True,
            "demoläge: alla system körs på den här datorn, så demokontot och exempelnyckeln "
            "tillåts (inte mot riktiga system)",
        )
    return Check("Säkerhet", True, "egen pseudonymnyckel och egna inloggningar")


def store_check(settings: Settings) -> Check:
    """The coordination store opens, is sound, and was first used with this pseudonym key
    (``robot.store_key``: a machine with a key of its own would register people twice)."""
    try:
        with open_database(settings, COORDINATION) as db:
            db.check()
            verify_store_key(db, settings.pseudonym_key)
            where = db.where
    except RobotError as exc:
        return Check("Databas", False, exc.message)
    return Check("Databas", True, f"{where}; samma pseudonymnyckel som när databasen började")


def _has_robot_login(settings: Settings) -> bool:
    """True where the robot logs in itself: a robot password is set, or the demo set-up."""
    if settings.is_demo_setup or settings.ui_sign_in == "robot_account":
        return True
    origins = secret_origins(toml_file())
    return any(origins[field].configured for field in ROBOT_PASSWORDS)


def secrets_check(settings: Settings) -> Check:
    """Where each secret comes from (never its value); a secret in a file that another OS user
    can read fails (robot/secrets.py)."""
    del settings  # the origins are read from the sources themselves
    origins = secret_origins(toml_file())
    shared = [o for o in origins.values() if o.readable_by_others]
    detail = "; ".join(f"{o.field}: {o.describe_sv()}" for o in origins.values())
    if shared:
        files = ", ".join(sorted({o.where for o in shared}))
        return Check(
            "Hemligheter",
            False,
            f"{files} innehåller en hemlighet och kan läsas av andra användare på datorn. {detail}",
            next_step="Flytta hemligheten till nyckelringen (reservrobot secrets set ...) eller "
            "till miljön, eller gör filen privat (chmod 600).",
        )
    return Check("Hemligheter", True, detail)


def sign_in_check(settings: Settings) -> Check:
    """How the attended app signs in: as the clerk (default), or warn on a robot station."""
    if settings.ui_sign_in == "robot_account":
        return Check(
            "Inloggning i appen",
            True,
            'ui_sign_in = "robot_account": appen arbetar med robotens konto, så PMO:s logg visar '
            "roboten och inte handläggaren. Bara för en delad robotstation, aldrig på en "
            "handläggares dator.",
            warning=True,
        )
    return Check(
        "Inloggning i appen",
        True,
        "handläggaren loggar in med sitt eget konto i robotens fönster (ui_sign_in = clerk)",
    )


def folder_checks(settings: Settings) -> Iterator[Check]:
    """The data and evidence folders must be private (0700); the robot tightens them at start."""
    for label, folder in (("Datamapp", settings.data_dir), ("Underlag", settings.evidence_path)):
        if not folder.exists():
            yield Check(label, True, f"{folder} (skapas privat, 0700, vid första körningen)")
            continue
        mode = stat.S_IMODE(folder.stat().st_mode)
        if mode & 0o077:
            yield Check(
                label,
                False,
                f"{folder} kan läsas av andra (rättigheter {mode:o}); roboten stramar åt den till "
                "700 när den startar, eller kör: chmod 700 " + str(folder),
            )
        else:
            yield Check(label, True, f"{folder} (privat, {mode:o})")


def memory_check(settings: Settings) -> Check:
    """Where the browser's raw recordings live: a folder in memory, or none (then the support
    trace is never recorded, since its raw files must not outlive a killed run on a disk)."""
    try:
        root = volatile_root(settings)
    except OSError as exc:
        root, problem = None, f" ({type(exc).__name__})"
    else:
        problem = ""
    if root is not None:
        return Check("Minnesmapp", True, f"{root} (i minnet, försvinner vid omstart)")
    detail = (
        f"Datorn har ingen mapp i minnet{problem}: felsökningsspåret (evidence_trace) "
        "sparas inte här."
    )
    if not settings.evidence_trace:
        return Check("Minnesmapp", True, detail)
    wanted = " Ange en RAM-disk i RESERVROBOT_VOLATILE_DIR om spåret behövs på den här datorn."
    return Check("Minnesmapp", True, detail + wanted, warning=True)


def region_check(settings: Settings) -> Check:
    """The region profile: it loads (pattern, example, check character, choices), its group
    table loads, and an example profile says that it is one."""
    try:
        config = RoutineConfig.load(settings)
    except RobotError as exc:
        return Check("Regionprofil", False, exc.message)
    profile, groups = config.profile, config.groups
    protected = "lämnas till en person" if profile.hands_over_protected else "reservnummer"
    detail = (
        f"{profile.name}: reservnummer som {profile.example} ({profile.format}, publicerat "
        f"{profile.published}), skyddade "
        f"personuppgifter: {protected}, {len(groups)} patientgrupper i {profile.groups_file}"
    )
    if not profile.confirmed:
        detail += "; exempelprofil: låt regionen bekräfta värdena före riktiga system"
    return Check("Regionprofil", True, detail)
