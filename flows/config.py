"""The routine's configuration, loaded in one place: ``RoutineConfig.load(settings)``.

The region profile (``config/regions/<region>.toml``), the group table it names, the country
lists, the matching thresholds and each site's selector file. Every entry point that needs
them (the runner, ``register``, the attended app, the backlog import, ``doctor``, ``config
show``) loads them here, so the rule "which files make up the configuration" has one home.
Raises ``ConfigError`` (a Swedish message naming the file) when one is missing or broken.
"""

from __future__ import annotations

from dataclasses import dataclass

from flows.rules.countries import CountryLists, load_country_lists
from flows.rules.groups import PatientGroup, load_groups
from flows.rules.matching import MatchConfig, load_match_config
from flows.rules.region import RegionProfile, load_region_profile
from flows.selectors import SiteSelectors, load_selectors
from robot.settings import Settings
from robot.site_settings import SITES


@dataclass(frozen=True)
class RoutineConfig:
    """What the routine runs on, besides the settings: one region's rules and the screens."""

    profile: RegionProfile
    groups: dict[str, PatientGroup]
    countries: CountryLists
    match: MatchConfig
    # Site (``pmo``, ``rns``, ``plexus``) -> its selector file (``settings.pmo.selectors``...).
    selectors: dict[str, SiteSelectors]

    @classmethod
    def load(cls, settings: Settings) -> RoutineConfig:
        """Load every file of the configuration that ``settings`` name."""
        config_dir = settings.config_dir
        profile = load_region_profile(config_dir, settings.region)
        return cls(
            profile=profile,
            groups=load_groups(config_dir, profile.groups_file),
            countries=load_country_lists(config_dir),
            match=load_match_config(config_dir),
            selectors=load_site_selectors(settings),
        )


def load_site_selectors(settings: Settings) -> dict[str, SiteSelectors]:
    """Each site's selector file (``settings.pmo.selectors``...): all the screen check needs."""
    return {
        site: load_selectors(settings.selectors_dir, settings.site(site).selectors)
        for site in SITES
    }
