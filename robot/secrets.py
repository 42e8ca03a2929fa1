"""The robot's secrets: from the operating system's credential store or the environment.

The robot account's passwords and the pseudonym key are secrets. Where they belong:

- the OS credential store of the account the robot runs as, through ``keyring`` (Windows
  Credential Manager, Secret Service on Linux, Keychain on macOS): ``reservrobot secrets set
  pmo`` stores one without echo, under the service ``reservrobot`` and the setting's name
  (``pmo_password``);
- or the environment, where a service manager injects them (systemd ``LoadCredential=`` /
  ``Environment=``, a scheduled task's own environment).

A file (``.env``, ``reservrobot.toml``) still works, for a developer's demo set-up, but
``reservrobot doctor`` fails when such a file holds a password that another OS user can read.

``KeyringSettingsSource`` is the pydantic-settings source that reads the credential store (after
the environment, before any file). ``secret_origins`` says where each secret comes from, never
its value, for ``config show`` and ``doctor``. ``RESERVROBOT_KEYRING=0`` turns the credential
store off (a machine whose store would ask a person to unlock it).
"""

from __future__ import annotations

import functools
import logging
import os
import stat
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic.fields import FieldInfo
from pydantic_settings import PydanticBaseSettingsSource

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

_log = logging.getLogger(__name__)

KEYRING_SERVICE = "reservrobot"
ENV_PREFIX = "RESERVROBOT_"
# The settings that are secrets, and the short names ``reservrobot secrets set`` takes.
SECRET_NAMES: dict[str, str] = {
    "pmo": "pmo_password",
    "rns": "rns_password",
    "plexus": "plexus_password",
    "pseudonym-key": "pseudonym_key",
}
ROBOT_PASSWORDS = ("pmo_password", "rns_password", "plexus_password")
# How ``Settings.masked()`` and the nested sources name each secret.
SHOWN_AS: dict[str, str] = {
    "pmo_password": "pmo.password",
    "rns_password": "rns.password",
    "plexus_password": "plexus.password",
    "pseudonym_key": "pseudonym_key",
}


def keyring_enabled() -> bool:
    return os.environ.get(ENV_PREFIX + "KEYRING", "1").strip().lower() not in ("0", "false", "no")


@functools.cache
def _backend(platform: str, bus: str) -> KeyringBackend | None:
    """The platform's credential store, named directly: ``keyring``'s own discovery scans every
    installed backend (0.7 s at each start of the CLI). On Linux only with a D-Bus session
    (``bus``), where the Secret Service lives."""
    if platform == "win32":
        from keyring.backends.Windows import WinVaultKeyring

        return WinVaultKeyring()  # type: ignore[no-untyped-call]
    if platform == "darwin":
        from keyring.backends.macOS import Keyring as MacKeyring

        return MacKeyring()  # type: ignore[no-untyped-call]
    if not bus:
        return None
    from keyring.backends.SecretService import Keyring as SecretServiceKeyring

    return SecretServiceKeyring()  # type: ignore[no-untyped-call]


def credential_store() -> KeyringBackend | None:
    """This machine's credential store (None: turned off, or none on this machine)."""
    if not keyring_enabled():
        return None
    try:
        return _backend(sys.platform, os.environ.get("DBUS_SESSION_BUS_ADDRESS", ""))
    except Exception as exc:  # a missing backend library
        _log.debug("keyring unavailable: %s", type(exc).__name__)
        return None


def keyring_get(field: str) -> str | None:
    """The secret ``field`` from the OS credential store (None when absent or no store)."""
    store = credential_store()
    if store is None:
        return None
    try:
        return store.get_password(KEYRING_SERVICE, field)
    except Exception as exc:  # a locked store, a broken D-Bus session
        _log.debug("keyring unavailable: %s", type(exc).__name__)
        return None


def keyring_set(field: str, value: str) -> str:
    """Store ``value`` as ``field`` in the OS credential store; the store's name.

    ``RuntimeError`` when this machine has no credential store the robot can use."""
    store = credential_store()
    if store is None:
        raise RuntimeError("no credential store")
    store.set_password(KEYRING_SERVICE, field, value)
    return type(store).__module__.rsplit(".", 1)[-1]


class KeyringSettingsSource(PydanticBaseSettingsSource):
    """The secret settings found in the OS credential store."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return keyring_get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for field in SECRET_NAMES.values():  # flat names: robot.site_settings folds them
            value = keyring_get(field)
            if value is not None:
                found[field] = value
        return found


@dataclass(frozen=True)
class SecretOrigin:
    """Where one secret setting comes from (never its value)."""

    field: str
    kind: str  # "environment", "keyring", "dotenv", "file", "default"
    where: str = ""
    readable_by_others: bool = False

    @property
    def shown_as(self) -> str:
        """The secret's name in ``config show`` (``pmo.password``)."""
        return SHOWN_AS[self.field]

    @property
    def configured(self) -> bool:
        return self.kind != "default"

    def describe_sv(self) -> str:
        words = {
            "environment": f"miljövariabeln {self.where}",
            "keyring": f"operativsystemets nyckelring ({KEYRING_SERVICE}/{self.field})",
            "dotenv": f"filen {self.where}",
            "file": f"inställningsfilen {self.where}",
            "default": "inte satt, standardvärdet",
        }
        return words[self.kind]


def readable_by_others(path: Path) -> bool:
    """True when another OS user can read ``path`` (group or others may read; POSIX only: on
    Windows the folder's access list decides, see deploy/windows/README.md)."""
    if sys.platform == "win32":
        return False
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return bool(mode & (stat.S_IRGRP | stat.S_IROTH))


def secret_origins(toml_file: Path, dotenv_file: Path = Path(".env")) -> dict[str, SecretOrigin]:
    """Where each secret setting comes from, by the settings' own order of sources."""
    dotenv = _dotenv_keys(dotenv_file)
    toml = _toml_keys(toml_file)
    environment = {k.upper() for k in os.environ}
    origins = {}
    for field in SECRET_NAMES.values():
        # The flat name (RESERVROBOT_PMO_PASSWORD, pmo_password) or the nested one
        # (RESERVROBOT_PMO__PASSWORD, [pmo] password): robot/site_settings.py takes both.
        nested = SHOWN_AS[field].replace(".", "__")
        env_names = [ENV_PREFIX + field.upper(), ENV_PREFIX + nested.upper()]
        in_env = [n for n in env_names if n in environment]
        if in_env:
            origin = SecretOrigin(field, "environment", in_env[0])
        elif keyring_get(field) is not None:
            origin = SecretOrigin(field, "keyring")
        elif any(n in dotenv for n in env_names):
            origin = SecretOrigin(
                field, "dotenv", str(dotenv_file), readable_by_others(dotenv_file)
            )
        elif field in toml or SHOWN_AS[field] in toml:
            origin = SecretOrigin(field, "file", str(toml_file), readable_by_others(toml_file))
        else:
            origin = SecretOrigin(field, "default")
        origins[field] = origin
    return origins


def _dotenv_keys(path: Path) -> set[str]:
    try:
        from dotenv import dotenv_values

        return {k.upper() for k in dotenv_values(path) if k} if path.is_file() else set()
    except Exception:
        return set()


def _toml_keys(path: Path) -> set[str]:
    """The file's keys, a table's as ``table.key`` (``[pmo] password`` is ``pmo.password``)."""
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError):
        return set()
    keys = set(data)
    for name, value in data.items():
        if isinstance(value, dict):
            keys |= {f"{name}.{key}" for key in value}
    return keys
