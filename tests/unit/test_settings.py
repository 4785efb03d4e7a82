"""Settings refused where real data lives."""

from __future__ import annotations

import pytest

from workflows.errors import SettingsError
from workflows.settings import Settings

PRODUCTION = {"CASEWORK_ENV": "production", "CASEWORK_SECRET_KEY": "k" * 40,
              "CASEWORK_DATABASE_URL": "postgresql+psycopg://casework@db.internal/casework",
              "CASEWORK_BASE_URL": "https://casework.reseau.example"}


def test_production_settings_as_the_readme_shows_them_are_accepted():
    assert Settings.from_env(PRODUCTION).production


@pytest.mark.parametrize("base_url", [None, "http://casework.reseau.example", "https://127.0.0.1:5000",
                                      "https://localhost/"])
def test_production_needs_the_https_address_emails_link_to(base_url):
    env = {key: value for key, value in PRODUCTION.items() if key != "CASEWORK_BASE_URL"}
    if base_url:
        env["CASEWORK_BASE_URL"] = base_url
    with pytest.raises(SettingsError, match="CASEWORK_BASE_URL"):
        Settings.from_env(env)


def test_development_keeps_the_local_address():
    assert Settings.from_env({}).base_url == "http://127.0.0.1:5000"


def test_the_idle_time_is_thirty_minutes_unless_set():
    assert Settings.from_env({}).idle_minutes == 30
    assert Settings.from_env({"CASEWORK_IDLE_MINUTES": " 15 "}).idle_minutes == 15
    assert Settings.from_env({"CASEWORK_IDLE_MINUTES": ""}).idle_minutes == 30


@pytest.mark.parametrize("value", ["4", "481", "0", "-5", "half an hour", "1.5"])
def test_an_idle_time_out_of_bounds_or_not_minutes_is_refused(value):
    with pytest.raises(SettingsError, match="CASEWORK_IDLE_MINUTES"):
        Settings.from_env({"CASEWORK_IDLE_MINUTES": value})


@pytest.mark.parametrize("name,value", [("CASEWORK_SMTP_PORT", "abc"), ("CASEWORK_SMTP_PORT", "25.5"),
                                        ("CASEWORK_DIGEST_HOUR", "seven"), ("CASEWORK_SCHEDULER_INTERVAL", "5s")])
def test_a_setting_that_is_not_a_number_is_named_not_a_traceback(name, value):
    with pytest.raises(SettingsError, match=f"{name} must be .*number, not '{value}'"):
        Settings.from_env({name: value})


def test_numbers_unset_or_empty_take_their_defaults():
    settings = Settings.from_env({"CASEWORK_SMTP_PORT": "", "CASEWORK_SCHEDULER_INTERVAL": " 2.5 "})
    assert settings.smtp_port == 25 and settings.scheduler_interval == 2.5 and settings.digest_hour == 7
