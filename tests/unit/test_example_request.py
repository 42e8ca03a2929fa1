"""The example request file the README documents is a valid request, field by field."""

from __future__ import annotations

import json
import re
from pathlib import Path

from flows.rules.groups import load_groups
from flows.rules.request import RegistrationRequest, parse_request
from robot.settings import DEFAULT_CONFIG_DIR

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = DEFAULT_CONFIG_DIR / "templates" / "exempel-person.json"


def test_example_request_file_is_valid_and_invented() -> None:
    data = json.loads(EXAMPLE.read_text("utf-8"))
    request = parse_request(data, groups=load_groups(DEFAULT_CONFIG_DIR))
    assert request.family_name == "Exempelsson"
    assert request.address is not None and request.address.country == "SE"
    assert not any(ch.isdigit() for ch in request.family_name + request.given_names)


def test_readme_documents_every_field_of_the_request_file() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme[readme.index("### The request file") :]
    section = section[: section.index("\n## ")]
    documented = set(re.findall(r"^\| `([a-z_.]+)` \|", section, flags=re.MULTILINE))
    top = {f for f in RegistrationRequest.model_fields}
    assert top <= {d.split(".")[0] for d in documented}
    assert {"address.street", "address.postal_code", "address.city", "address.country"} <= (
        documented
    )
    assert "config/templates/exempel-person.json" in section
