"""Jinja2 templates with autoescaping on, looked up in the site's folders, then the common one."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import jinja2
from markupsafe import Markup
from starlette.templating import Jinja2Templates

COMMON_TEMPLATES = Path(__file__).parent / "templates"
COMMON_STATIC = Path(__file__).parent / "static"


def inline_script(path: Path) -> Markup:
    """The JavaScript file ``path`` for an inline ``<script>`` element.

    Inline, because an external script can arrive after the form is already on screen: a fast
    robot could then type into a field before its behaviour (marker, autofill) is attached.
    """
    source = path.read_text(encoding="utf-8")
    if "</script" in source.lower():
        raise ValueError(f"{path} must not contain a closing script tag")
    return Markup(source)  # noqa: S704 - our own file, checked above


def make_templates(site_dirs: Sequence[Path]) -> Jinja2Templates:
    """Templates for one site: its own folders first (e.g. a layout's), then the shared ones.

    Autoescaping is on for every template, whatever its file name: nothing a user typed may
    reach a page unescaped.
    """
    loader = jinja2.FileSystemLoader([*map(str, site_dirs), str(COMMON_TEMPLATES)])
    env = jinja2.Environment(
        loader=loader,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return Jinja2Templates(env=env)
