"""The patient-group table: which Kommun/Län codes and which address each group gets.

The table is configuration (``config/groups.toml``) because the printed routine has a doubtful
row (the last group repeats the convention-country code 04) that must be correctable without
code. A group's ``note_sv`` carries such doubts to the staff who pick the group.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

from robot.errors import ConfigError

AddressKind = Literal["swedish", "residence_country"]
_ADDRESS_KINDS: tuple[AddressKind, ...] = ("swedish", "residence_country")
_CODE_RE = re.compile(r"[0-9]{2}")


@dataclass(frozen=True)
class PatientGroup:
    """One row of the routine's table."""

    key: str
    label_sv: str
    kommun: str
    lan: str
    address: AddressKind
    description_sv: str
    note_sv: str | None = None

    @property
    def code(self) -> str:
        """The four-digit code ``99NN`` the two fields form together (Län then Kommun)."""
        return self.lan + self.kommun

    @property
    def swedish_address(self) -> bool:
        """True when the group is registered with a Swedish residence address."""
        return self.address == "swedish"


def load_groups(config_dir: Path, filename: str = "groups.toml") -> dict[str, PatientGroup]:
    """Load ``config_dir/<filename>`` (a region profile may name its own table; Gävleborg's
    ``groups.toml`` is the default), in the file's order; raise ``ConfigError`` if broken."""
    path = config_dir / filename
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (FileNotFoundError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"Grupptabellen går inte att läsa: {path}: {exc}") from exc
    rows = data.get("groups")
    if not isinstance(rows, dict) or not rows:
        raise ConfigError(f"Grupptabellen {path.name} saknar [groups.*]")
    return {key: _group(key, row, path.name) for key, row in rows.items()}


def _group(key: str, row: dict[str, object], filename: str) -> PatientGroup:
    try:
        kommun, lan = str(row["kommun"]), str(row["lan"])
        address = str(row["address"])
        group = PatientGroup(
            key=key,
            label_sv=str(row["label_sv"]),
            kommun=kommun,
            lan=lan,
            address=cast(AddressKind, address),
            description_sv=" ".join(str(row.get("description_sv", "")).split()),
            note_sv=" ".join(str(row["note_sv"]).split()) if row.get("note_sv") else None,
        )
    except KeyError as exc:
        raise ConfigError(f"Gruppen {key} i {filename} saknar {exc}") from exc
    if address not in _ADDRESS_KINDS:
        raise ConfigError(f"Gruppen {key} i {filename}: okänd adresstyp {address!r}")
    if not (_CODE_RE.fullmatch(kommun) and _CODE_RE.fullmatch(lan)):
        raise ConfigError(f"Gruppen {key} i {filename}: Kommun och Län ska vara två siffror")
    return group
