"""Settings for every part of the robot, built once at the edge and passed down.

Sources, highest priority first: constructor arguments, environment variables with the
``RESERVROBOT_`` prefix, the OS credential store for the secrets (``robot/secrets.py``), a
``.env`` file, an optional TOML file (``RESERVROBOT_CONFIG_FILE`` or
``./reservrobot.toml``), and the defaults below. Secrets are ``SecretStr`` and never printed.
"""

from __future__ import annotations

import importlib.util
import os
import re
from datetime import date
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from robot.errors import ConfigError
from robot.site_settings import (
    DEMO_CREDENTIAL,
    SITES,
    FlatSiteNames,
    PlexusSettings,
    PmoSettings,
    RnsSettings,
    SiteSettings,
    flat_names_in,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _find_config_dir(root: Path) -> Path:
    """The data folder: ``config/`` in a source tree, else the installed ``reservrobot_config``."""
    # Twin of the one in mock_sites/common/config.py: the mock sites import nothing of the robot.
    source = root / "config"
    if (source / "groups.toml").is_file():
        return source
    spec = importlib.util.find_spec("reservrobot_config")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return source


DEFAULT_CONFIG_DIR = _find_config_dir(PROJECT_ROOT)

TransferMode = Literal["auto", "system", "browser", "fill"]


def mask_dsn_password(dsn: str) -> str:
    """``dsn`` with any password replaced by stars (URL and ``key=value`` forms)."""
    dsn = re.sub(r"(://[^:/@?#]*:)[^@/?#]*@", r"\1**********@", dsn)
    return re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", r"\1**********", dsn)


PLACEHOLDER_PSEUDONYM_KEY = "change-me-in-production"
_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def _is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in _LOOPBACK_NAMES or host.startswith("127.")


def toml_file() -> Path:
    """The settings file: ``RESERVROBOT_CONFIG_FILE`` or ``./reservrobot.toml``."""
    return Path(os.environ.get("RESERVROBOT_CONFIG_FILE", "reservrobot.toml"))


class Settings(BaseSettings):
    """All settings of the robot. Construct once; pass the instance down."""

    model_config = SettingsConfigDict(
        env_prefix="RESERVROBOT_",
        # RESERVROBOT_PMO__URL fills settings.pmo.url (the flat RESERVROBOT_PMO_URL works too).
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    # Where the data files live (selectors, groups, region profiles, matching thresholds).
    config_dir: Path = DEFAULT_CONFIG_DIR
    region: str = "gavleborg"

    # The sites: address, the robot's login, selector file (``settings.pmo.url``...).
    pmo: PmoSettings = PmoSettings()
    rns: RnsSettings = RnsSettings()
    plexus: PlexusSettings = PlexusSettings()

    # The read-only screen check (`reservrobot check-screens`): a birth date nobody has, and
    # optionally one test patient whose page is opened read-only (else that screen is skipped).
    screen_check_birth_date: date = date(1900, 1, 1)
    screen_check_patient_id: str = ""
    screen_check_patient_birth_date: date | None = None

    # Browser.
    browser_executable: Path | None = None
    headless: bool = True
    timeout_ms: int = Field(default=10_000, ge=100)
    navigation_timeout_ms: int = Field(default=20_000, ge=100)
    slow_mo_ms: int = Field(default=0, ge=0)
    # After each request, a page whose JavaScript heap has grown past this many MB is asked to
    # collect its garbage (0: never). Chromium leaves each finished document's garbage for
    # later, about 3 MB per person and page, so a long backlog run grows by hundreds of MB.
    browser_heap_limit_mb: int = Field(default=32, ge=0)

    # How the Patient-ID travels from Reservnummersystemet to PMO.
    transfer_mode: TransferMode = "auto"
    # Leave the final Patient-ID on the user's clipboard (attended use).
    leave_on_clipboard: bool = False

    # Retries of application errors.
    max_attempts: int = Field(default=3, ge=1)
    backoff_base_s: float = Field(default=0.5, ge=0)
    backoff_max_s: float = Field(default=8.0, ge=0)

    # Folders. Evidence (screenshots, traces) is personal data: private folder, expires.
    data_dir: Path = Path("var")
    evidence_dir: Path | None = None
    evidence_retention_days: int = Field(default=7, ge=0)
    # Also keep a (masked) Playwright trace of a failed request: costs time on every request,
    # so only for a support session (docs/architecture.md, "Evidence").
    evidence_trace: bool = False
    # Where the browser's raw recordings live while it runs (a raw trace holds the password and
    # the pages as shown): a folder in memory, so nothing of it outlives the process on a disk.
    # Empty: found by itself on Linux ($XDG_RUNTIME_DIR, /dev/shm; robot/volatile.py). Set it
    # only to a RAM-backed folder (a RAM disk on Windows); without one the trace is not kept.
    volatile_dir: Path | None = None

    # The store of queue, leases, journal and audit log (robot/db.py). Empty: SQLite files in
    # data_dir (one machine). ``postgresql://user:password@host:5432/dbname``: one PostgreSQL
    # database shared by several robot machines. Holds a password: environment or .env only.
    store_dsn: str = ""
    # Against real systems every entry point that registers (clerk apps, `register`, backlog
    # runs) must share one store, or the birth date's lease excludes nobody else. A SQLite
    # store (local to one OS account) is allowed only when this says it is the region's only
    # entry point.
    sole_entry_point: bool = False
    # A store that goes out of reach (or stays busy) inside a backlog run is waited for, with
    # backoff, for up to this many seconds; then the run ends with exit code 4 and says what it
    # finished before (robot/store_outage.py).
    store_outage_wait_s: float = Field(default=120.0, ge=0)
    # Coordination leases (one request per birth date at a time, everywhere): a holder that
    # stops renewing loses its lease after ``lease_ttl_s``; another request waits for it up
    # to ``lease_wait_s`` before it gives up and says who holds it.
    lease_ttl_s: float = Field(default=60.0, gt=0)
    lease_wait_s: float = Field(default=300.0, ge=0)

    # The read-only sweep (`reservrobot sweep`). A number with no patient (or a Patient-ID RNS
    # does not know) counts only when a second look at least ``sweep_grace_s`` later still
    # shows it (a clerk may be registering by hand). A date whose lease another holds is
    # waited for ``sweep_lease_first_wait_s``, then looked at again after the other dates.
    # The report files (names and numbers) are deleted after ``sweep_retention_days``.
    sweep_grace_s: float = Field(default=300.0, ge=0)
    sweep_lease_first_wait_s: float = Field(default=2.0, ge=0)
    sweep_retention_days: int = Field(default=30, ge=0)

    # Attended app (`reservrobot ui`): "clerk" (the default) lets each clerk sign in to the
    # systems by hand in the robot's own window, so the systems log the clerk; "robot_account"
    # says in words that this PC is a shared robot station whose app uses the robot's accounts.
    ui_sign_in: Literal["clerk", "robot_account"] = "clerk"

    # Key for pseudonymising identity numbers in logs and the audit log (keyed hash).
    pseudonym_key: SecretStr = SecretStr(PLACEHOLDER_PSEUDONYM_KEY)

    @field_validator("store_dsn")
    @classmethod
    def _store_address(cls, dsn: str) -> str:
        if not dsn.strip():
            return dsn
        from psycopg.conninfo import conninfo_to_dict

        try:
            port = conninfo_to_dict(dsn).get("port")
        except Exception:  # psycopg's message quotes the text, password included
            port = None
            readable = False
        else:
            readable = True
        if not readable or (port is not None and not str(port).isdigit()):
            raise ValueError(
                "ska vara postgresql://användare:lösenord@värd:5432/databas "
                "(eller tom för SQLite-filer i datamappen)"
            )
        return dsn

    @model_validator(mode="after")
    def _data_files_exist(self) -> Settings:
        """The region profile and the sites' selector files named here must exist."""
        for folder, name, what in (
            (self.config_dir / "regions", self.region, "region"),
            *((self.selectors_dir, self.site(s).selectors, f"{s}_selectors") for s in SITES),
        ):
            if not (folder / f"{name}.toml").is_file():
                known = ", ".join(sorted(p.stem for p in folder.glob("*.toml"))) or "inga"
                raise ValueError(
                    f"RESERVROBOT_{what.upper()} {name!r} finns inte i {folder} (finns: {known})"
                )
        return self

    @property
    def is_demo_setup(self) -> bool:
        """True when every site is on this computer (the mock sites): demo values are allowed."""
        return all(_is_loopback(self.site(site).url) for site in SITES)

    def site(self, name: str) -> SiteSettings:
        """The settings of site ``name`` (``pmo``, ``rns``, ``plexus``)."""
        sites: dict[str, SiteSettings] = {"pmo": self.pmo, "rns": self.rns, "plexus": self.plexus}
        return sites[name]

    def with_urls(self, **urls: str) -> Settings:
        """These settings with other site addresses: ``with_urls(pmo="http://...")``."""
        update = {site: self.site(site).model_copy(update={"url": u}) for site, u in urls.items()}
        return self.model_copy(update=update)

    def secrets(self) -> list[SecretStr]:
        """Every secret of these settings (the sites' passwords included)."""
        found = [
            v for name in type(self).model_fields if isinstance(v := getattr(self, name), SecretStr)
        ]
        return found + [self.site(site).password for site in SITES]

    def unsafe_setup_problems(self, *, robot_accounts: bool = True) -> list[str]:
        """Why these settings must not run against real systems (Swedish; empty: fine).

        Outside the demo set-up (a site that is not on this computer) the placeholder
        pseudonym key would make every log reference recomputable by anyone, and the mock
        sites' demo user is certainly not the robot's account. ``robot_accounts=False``: the
        robot's accounts are not used (the attended app, where the clerk signs in).
        """
        if self.is_demo_setup:
            return []
        problems = []
        if self.pseudonym_key.get_secret_value() == PLACEHOLDER_PSEUDONYM_KEY:
            problems.append(
                "Nyckeln för pseudonymisering (pseudonym_key) har fortfarande exempelvärdet. "
                "Sätt en egen, hemlig nyckel i RESERVROBOT_PSEUDONYM_KEY eller i datorns "
                "nyckelring (reservrobot secrets set pseudonym-key)."
            )
        if not self.store_dsn.strip() and not self.sole_entry_point:
            problems.append(
                "Samordningen ligger i en fil som bara det här kontot på den här datorn ser. "
                "Andra handläggares appar och robotdatorer ser den inte och kan registrera samma "
                "person samtidigt. Ange regionens gemensamma databas i RESERVROBOT_STORE_DSN "
                "(med din egen databasroll), eller, om detta är regionens enda ingång som "
                "registrerar, RESERVROBOT_SOLE_ENTRY_POINT=true."
            )
        sites = [("pmo", "PMO"), ("rns", "Reservnummersystemet")] if robot_accounts else []
        if robot_accounts and self.rns.access == "plexus":
            sites.append(("plexus", "Plexus"))
        for site, name in sites:
            login = self.site(site)
            if (
                login.username == DEMO_CREDENTIAL
                or login.password.get_secret_value() == DEMO_CREDENTIAL
            ):
                problems.append(
                    f"Inloggningen till {name} använder demokontot (demo/demo). Ange robotens "
                    f"egen användare och lösenord i RESERVROBOT_{site.upper()}_USERNAME och "
                    f"RESERVROBOT_{site.upper()}_PASSWORD."
                )
        return problems

    @property
    def evidence_path(self) -> Path:
        return self.evidence_dir or self.data_dir / "evidence"

    @property
    def selectors_dir(self) -> Path:
        return self.config_dir / "selectors"

    def masked(self) -> dict[str, Any]:
        """Settings as a flat dict for display (``pmo.url``...), with every secret masked."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            shown = value.model_dump() if isinstance(value, SiteSettings) else {"": value}
            for key, item in shown.items():
                out[f"{name}.{key}" if key else name] = (
                    "**********" if isinstance(item, SecretStr) else item
                )
        out["store_dsn"] = mask_dsn_password(self.store_dsn)
        return out

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        assert isinstance(env_settings, EnvSettingsSource)
        assert isinstance(dotenv_settings, DotEnvSettingsSource)
        from robot.secrets import KeyringSettingsSource

        toml = TomlConfigSettingsSource(settings_cls, toml_file=toml_file())
        return (
            FlatSiteNames(settings_cls, init_settings),
            env_settings,
            FlatSiteNames(settings_cls, lambda: flat_names_in(env_settings.env_vars)),
            # The OS credential store for the secrets (robot/secrets.py), above every file.
            FlatSiteNames(settings_cls, KeyringSettingsSource(settings_cls)),
            dotenv_settings,
            FlatSiteNames(settings_cls, lambda: flat_names_in(dotenv_settings.env_vars)),
            FlatSiteNames(settings_cls, toml),
            file_secret_settings,
        )


# How a wrong value reads for a person, by pydantic's error type (the value itself is never
# shown: it may be a password).
_PROBLEMS_SV = {
    "int_parsing": "ska vara ett heltal",
    "int_from_float": "ska vara ett heltal",
    "float_parsing": "ska vara ett tal",
    "bool_parsing": "ska vara true eller false",
    "date_parsing": "ska vara ett datum ÅÅÅÅ-MM-DD",
    "date_from_datetime_parsing": "ska vara ett datum ÅÅÅÅ-MM-DD",
    "path_type": "ska vara en sökväg",
    "extra_forbidden": "är ingen känd inställning",
}


def _problem_sv(error: ErrorDetails) -> str:
    fields = [str(part) for part in error["loc"] if isinstance(part, str)]
    ctx = error.get("ctx", {})
    kind = error["type"]
    if kind == "value_error":
        what = str(ctx.get("error", error["msg"]))
    elif kind == "literal_error":
        what = f"ska vara något av {ctx.get('expected', '')}".replace(" or ", " eller ")
    elif kind in ("greater_than_equal", "greater_than"):
        bound = ctx.get("ge", ctx.get("gt"))
        what = f"ska vara {'minst' if kind == 'greater_than_equal' else 'större än'} {bound}"
    else:
        what = _PROBLEMS_SV.get(kind, "har ett ogiltigt värde")
    if not fields:
        return what
    return f"RESERVROBOT_{'_'.join(fields).upper()} {what}"


def load_settings(**overrides: Any) -> Settings:
    """``Settings(**overrides)`` for an entry point: a wrong value is one Swedish line.

    Raises ``ConfigError`` (code ``settings_invalid``) that names every wrong setting by its
    environment variable and says what it should be, never its value (it may be a secret).
    """
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(_problem_sv(e) for e in exc.errors())
    except (SettingsError, ValueError) as exc:  # e.g. a broken reservrobot.toml
        problems = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    raise ConfigError(
        f"Inställningarna är felaktiga: {problems}. Rätta dem i miljön, .env eller "
        f"{toml_file()} och försök igen.",
        code="settings_invalid",
    )
