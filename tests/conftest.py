"""Root of the test suite: each part's fixtures live in their own plugin module."""

pytest_plugins = [
    "tests.fixtures.browser",
    "tests.fixtures.mock_servers",
    "tests.fixtures.display",
    "tests.fixtures.postgres",
]
