"""Settings every mock site shares: its users, fault settings, seed and session secret."""

from __future__ import annotations

import importlib.util
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from mock_sites.common.faults import FaultSettings

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _find_config_dir(root: Path) -> Path:
    """The data folder: ``config/`` in a source tree, else the installed ``reservrobot_config``."""
    # Twin of the one in robot/settings.py: the mock sites import nothing of the robot.
    source = root / "config"
    if (source / "groups.toml").is_file():
        return source
    spec = importlib.util.find_spec("reservrobot_config")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return source


DEFAULT_CONFIG_DIR = _find_config_dir(PROJECT_ROOT)


@dataclass(frozen=True)
class User:
    """A login of a mock site. The demo user is documented in mock_sites/README.md."""

    username: str
    password: str
    display_name: str


DEMO_USER = User("demo", "demo", "Anna Demo")
# Two more staff accounts, so a test (or a person trying the attended app) can sign in as
# someone else and see whose name the system logged (``created_by``, ``changed_by``).
DEFAULT_USERS = (
    DEMO_USER,
    User("bertil", "bertil", "Bertil Exempel"),
    User("cecilia", "cecilia", "Cecilia Exempel"),
)


def parse_user(text: str) -> User:
    """``username:password[:display name]`` (the CLI's ``--user``); ValueError when malformed."""
    username, sep, rest = text.partition(":")
    password, _, display_name = rest.partition(":")
    if not sep or not username.strip() or not password:
        raise ValueError("a user is username:password[:display name]")
    return User(username.strip(), password, display_name.strip() or username.strip())


@dataclass(frozen=True)
class SiteConfig:
    """What every site's ``create_app`` needs besides its database file."""

    users: tuple[User, ...] = DEFAULT_USERS
    faults: FaultSettings = field(default_factory=FaultSettings)
    # Seed of the generated seed data (Faker sv_SE and the random choices around it).
    data_seed: int = 1
    # How many seed records to generate (PMO patients, RNS persons).
    seed_size: int = 300
    # Plant the anomalies of ``mock_sites/anomalies.py`` in the seed data, one case per day
    # from this ISO date on ("" = none). Reset restores them too.
    anomalies_from: str = ""
    # Signs the session cookie; a fresh one per start unless given.
    session_secret: str = field(default_factory=lambda: secrets.token_hex(16))

    def user(self, username: str) -> User | None:
        return next((u for u in self.users if u.username == username), None)
