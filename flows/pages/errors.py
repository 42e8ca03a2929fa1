"""Playwright's errors in the project's words: one wrapper around every page-object call.

Modelled on playwright-python's own ``_wrap_api_call`` (``_impl/channel_owner.py``, with
``rewrite_error_message``): the outermost page-object call opens a *zone* (a context variable),
calls made inside it share that zone, and a Playwright error that reaches a wrapped call is
rewritten there once, into

- ``SelectorMissing`` for a timeout while an element is in hand, naming the element by its
  selector key (``pmo_a.search.month (textbox 'Månad')``): the screen changed or is slow;
- ``SiteError`` (``site_timeout``) for a timeout with no element in hand (a wait for the site);
- ``SiteError`` (``site_unreachable``) for any other Playwright error,

so no log line or outcome ever says "TimeoutError", and Playwright's generated types are used
as they are (no subclass, no private attribute).

The element in hand is the one the call took last from a screen's selectors (``NamedScreen.loc``:
taking a locator is free, no round trip). Page objects take an element right before acting on it,
so that is the element a timeout waited for. A wait for the site's answer (a navigation) runs in
``translated(site, waiting=True)``: its timeout is the site's, whatever element is in hand.

Every public method of every page object carries ``@page_call``
(``tests/e2e/test_page_errors.py`` checks that none is missing); flows that touch the browser
outside a page object (the copy-paste step, the first logins, the screen check) run inside
``translated(site)``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, TypeVar

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from flows.pages.responses import site_name
from flows.selectors import ScreenSelectors
from robot.errors import RobotError, SelectorMissing, SiteError

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S")


@dataclass
class _Zone:
    """One outermost page-object call: its site and the element it holds now."""

    site: str
    element: str | None = None


_zone: ContextVar[_Zone | None] = ContextVar("reservrobot_page_zone", default=None)


def rewrite_error(exc: PlaywrightError, *, site: str, where: str | None) -> RobotError:
    """The project's error for Playwright's ``exc`` on ``site`` (``where``: the element)."""
    if isinstance(exc, PlaywrightTimeoutError):
        if where is None:
            return SiteError(f"{site_name(site)} svarade inte i tid.", code="site_timeout")
        return SelectorMissing(
            f"{site_name(site)}: elementet {where} visades inte i tid. Sidan kan ha ändrats "
            "(selektorfilen) eller systemet är långsamt.",
            code="selector_missing",
        )
    about = f" vid elementet {where}" if where else ""
    return SiteError(
        f"Webbläsaren kom inte fram till {site_name(site)}{about}.", code="site_unreachable"
    )


@contextmanager
def translated(site: str, *, waiting: bool = False) -> Iterator[None]:
    """Run the block in a page-object zone of ``site``; Playwright's errors leave it as the
    project's (``rewrite_error``), naming the element in hand unless ``waiting`` (the block
    waits for the site's answer: a timeout is the site's)."""
    outer = _zone.get()
    zone = outer if outer is not None and outer.site == site else _Zone(site)
    token = _zone.set(zone) if zone is not outer else None
    try:
        yield
    except PlaywrightError as exc:
        where = None if waiting else zone.element
        raise rewrite_error(exc, site=site, where=where) from exc
    finally:
        if token is not None:
            _zone.reset(token)


def hold(where: str) -> None:
    """Note ``where`` as the element in hand of the current zone (outside one: nothing)."""
    zone = _zone.get()
    if zone is not None:
        zone.element = where


def _site_of(obj: object) -> str:
    """The site a page object works on: its ``site`` (a ``SiteUI`` or the site's name)."""
    site: Any = getattr(obj, "site")  # noqa: B009 - page objects and SiteUI alike
    return site if isinstance(site, str) else str(site.site)


def page_call(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
    """Run a page-object method inside ``translated`` for its site (see the module)."""

    @functools.wraps(method)
    def call(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with translated(_site_of(self)):
            return method(self, *args, **kwargs)

    call.__page_call__ = True  # type: ignore[attr-defined]
    return call


@dataclass(frozen=True)
class NamedElement:
    """An element one page-object call hands to a later step (the number to copy), with its
    name for errors; ``take()`` makes it the element in hand again."""

    locator: Locator
    where: str

    def take(self) -> Locator:
        hold(self.where)
        return self.locator


@dataclass(frozen=True)
class NamedScreen(ScreenSelectors):
    """A screen's selectors whose ``loc`` notes the element it gives as the one in hand.

    The name reads ``<selector file>.<screen>.<key> (<how it is found>)``, e.g.
    ``pmo_a.search.month (textbox 'Månad')``: where to look when it goes missing.
    """

    @classmethod
    def of(cls, screen: ScreenSelectors) -> NamedScreen:
        if isinstance(screen, NamedScreen):
            return screen
        return cls(screen.site, screen.screen, screen.locators, screen.texts, screen.tables)

    def where(self, key: str) -> str:
        """The element's name in error messages."""
        return f"{self.site}.{self.screen}.{key} ({self.spec(key).describe()})"

    def loc(self, root: Page | Locator, key: str) -> Locator:
        """The locator for element ``key`` inside ``root``, now the element in hand."""
        hold(self.where(key))
        return self.spec(key).locate(root)


def shown(locator: Locator) -> bool:
    """Wait until ``locator`` is visible, as long as the site's context allows
    (``Settings.timeout_ms``, its default timeout); False when it never is.

    Page objects wait on what a screen must come to show through this, not through
    ``expect(...)``: an assertion has its own timeout (Playwright's 5 s, whatever the settings
    say), so a site slower than that would read as a changed screen.
    """
    try:
        locator.wait_for(state="visible")
    except PlaywrightTimeoutError:
        return False
    return True
