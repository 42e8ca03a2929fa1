"""Page objects: one class per screen of PMO, Reservnummersystemet and Plexus.

Each is built from a ``SiteUI`` (the site's page, selectors and login) and names its methods
after what a person does on that screen. They report what the screen shows and never decide a
business outcome; ``flows/register.py`` and ``flows/complete.py`` do that.

Beside them, one module per concern they share: ``site.py`` (a site's page, navigation and
login), ``errors.py`` (Playwright's errors in the project's words, one wrapper around every
public page-object method), ``keyboard.py`` (ticking and pressing with the keyboard),
``search.py`` (search forms reached by their learned address), ``tables.py`` (reading a result
table) and ``responses.py`` (judging what a site answered).
"""
