"""Page objects: one class per screen of PMO, Reservnummersystemet and Plexus.

Each is built from a ``SiteUI`` (the site's page, selectors and login) and names its methods
after what a person does on that screen. They report what the screen shows and never decide a
business outcome; ``flows/register.py`` and ``flows/complete.py`` do that.
"""
