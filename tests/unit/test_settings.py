from pydantic import SecretStr

from robot.settings import Settings


def test_settings_should_mask_every_secret() -> None:
    settings = Settings(pmo_password=SecretStr("hemligt-1"), pseudonym_key=SecretStr("k"))
    shown = repr(settings.masked())
    assert "hemligt-1" not in shown
    assert settings.masked()["pmo_password"] == "**********"


def test_constructor_values_should_win_over_environment(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("RESERVROBOT_PMO_URL", "http://from-env")
    assert Settings().pmo_url == "http://from-env"
    assert Settings(pmo_url="http://ctor").pmo_url == "http://ctor"
