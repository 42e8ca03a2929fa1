"""Judging a navigation's HTTP response: a server error page is a site error (retried)."""

from __future__ import annotations

from playwright.sync_api import Response

from robot.errors import SiteError

SITE_NAMES = {"pmo": "PMO", "rns": "Reservnummersystemet", "plexus": "Plexus"}


def site_name(site: str) -> str:
    """The name staff know a site by (for messages)."""
    return SITE_NAMES.get(site, site)


def check_response(response: Response | None, *, site: str) -> None:
    """Raise SiteError when the site answered a navigation with a server error."""
    if response is not None and response.status >= 500:
        raise SiteError(
            f"{site_name(site)} svarade med tekniskt fel (HTTP {response.status}).",
            code="site_error",
        )
