"""The pure rules of the routine: identity formats, the region profile, field rules, groups,
countries, the request, names, matching, group suggestion, judging, outcomes, vocabulary, and
the plain data the screens show.

A folder that is a promise: nothing here imports Playwright, the page objects, the runner or
the browser runtime (an import-linter contract in pyproject.toml), so every rule can be tested
and reused without a browser.
"""
