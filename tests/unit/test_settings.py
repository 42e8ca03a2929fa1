from pydantic import SecretStr

from robot.settings import Settings


def test_settings_should_mask_every_secret() -> None:
    settings = Settings(pmo_password=SecretStr("hemligt-1"), pseudonym_key=SecretStr("k"))
    shown = repr(settings.masked())
    assert "hemligt-1" not in shown
    assert settings.masked()["pmo.password"] == "**********"


def test_constructor_values_should_win_over_environment(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("RESERVROBOT_PMO_URL", "http://from-env")
    assert Settings().pmo.url == "http://from-env"
    assert Settings(pmo_url="http://ctor").pmo.url == "http://ctor"


def test_each_site_is_a_nested_model_filled_from_double_underscore_names(
    monkeypatch,
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env or reservrobot.toml of the caller's
    monkeypatch.setenv("RESERVROBOT_PMO__URL", "https://pmo.region.example")
    monkeypatch.setenv("RESERVROBOT_RNS__ACCESS", "plexus")
    monkeypatch.setenv("RESERVROBOT_PLEXUS__PASSWORD", "hemligt-2")

    settings = Settings()

    assert settings.pmo.url == "https://pmo.region.example"
    assert settings.site("pmo") is settings.pmo
    assert settings.rns.access == "plexus"
    assert settings.plexus.password.get_secret_value() == "hemligt-2"
    assert "hemligt-2" in [s.get_secret_value() for s in settings.secrets()]  # the log redactor's
    assert "hemligt-2" not in repr(settings.masked())


def test_the_flat_names_of_before_still_work_from_every_source(
    monkeypatch,
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("RESERVROBOT_RNS_URL=http://rns.example:8\n", encoding="utf-8")
    (tmp_path / "reservrobot.toml").write_text(
        'plexus_username = "från-toml"\n[pmo]\nusername = "nästlad"\n', encoding="utf-8"
    )
    monkeypatch.setenv("RESERVROBOT_PMO_URL", "http://pmo.example:7")
    monkeypatch.setenv("RESERVROBOT_PMO_SELECTORS", "pmo_b")

    settings = Settings(rns_username="konstruktorn")

    assert (settings.pmo.url, settings.pmo.selectors) == ("http://pmo.example:7", "pmo_b")
    assert settings.pmo.username == "nästlad"
    assert settings.rns.url == "http://rns.example:8"
    assert settings.rns.username == "konstruktorn"
    assert settings.plexus.username == "från-toml"


def test_the_nested_name_wins_over_the_flat_one_and_the_constructor_over_both(
    monkeypatch,
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RESERVROBOT_PMO_URL", "http://flat.example")
    monkeypatch.setenv("RESERVROBOT_PMO__URL", "http://nested.example")
    assert Settings().pmo.url == "http://nested.example"
    assert Settings(pmo_url="http://ctor.example").pmo.url == "http://ctor.example"
    assert Settings(pmo={"url": "http://ctor2.example"}).pmo.url == "http://ctor2.example"
