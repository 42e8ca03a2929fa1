"""The clerk's guide (docs/guide-handlaggare.md) shows current screens and the app's own words."""

from __future__ import annotations

import re
from pathlib import Path

from flows.rules.vocabulary import PROTECTED_SV, FailureKind, failure_text

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "guide-handlaggare.md"


def test_guide_images_exist_and_every_shipped_image_is_used() -> None:
    text = GUIDE.read_text("utf-8")
    used = set(re.findall(r"\]\((images/[^)]+\.png)\)", text))
    assert used, "the guide has no screenshots"
    for image in used:
        assert (GUIDE.parent / image).is_file(), image
    shipped = {f"images/{p.name}" for p in (GUIDE.parent / "images").glob("*.png")}
    assert shipped == used


def test_guide_uses_the_headlines_the_app_shows() -> None:
    text = GUIDE.read_text("utf-8")
    for code, step, number in (
        ("login_refused", "search_pmo", None),
        ("site_error", "register_pmo", "19900101201M7"),
        ("verification_failed", "verify", "19900101201M7"),
    ):
        headline = failure_text(code, step=step, reservnummer=number).headline
        assert headline in text, headline
    assert failure_text("site_error", step="search_pmo", reservnummer=None).kind is (
        FailureKind.SITE_DOWN
    )
    assert "svarar inte just nu" in text
    assert PROTECTED_SV in text and "kvarskrivning" in text
    for developer_word in ("reservrobot ", "?token=", "playwright", "groups.toml", "bevis"):
        assert developer_word not in text
