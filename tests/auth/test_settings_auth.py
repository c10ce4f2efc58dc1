"""The auth settings and the start-up rules they enforce."""
from __future__ import annotations

import pytest

from smn.app import build_services
from smn.settings import Settings, SettingsError


def test_defaults():
    settings = Settings.from_env({})
    assert (settings.jwt_algorithm, settings.token_ttl, settings.token_max_ttl) == ("EdDSA", 900, 3600)
    assert (settings.jwt_leeway, settings.auth_resync_interval, settings.auth_cache_size) == (30, 30.0, 4096)
    assert (settings.token_failure_limit, settings.token_failure_window) == (10, 300)


def test_values_are_read_from_the_environment():
    settings = Settings.from_env({"SMN_AUTH_RESYNC_INTERVAL": "5", "SMN_AUTH_CACHE_SIZE": "0",
                                  "SMN_TOKEN_FAILURE_LIMIT": "3", "SMN_JWT_LEEWAY": "10"})
    assert (settings.auth_resync_interval, settings.auth_cache_size) == (5.0, 0)
    assert (settings.token_failure_limit, settings.jwt_leeway) == (3, 10)


@pytest.mark.parametrize("algorithm", ["EdDSA", "HS256"])
def test_a_short_secret_key_is_refused(algorithm):
    with pytest.raises(SettingsError, match="^SMN_SECRET_KEY: must be at least 32 bytes"):
        Settings.from_env({"SMN_SECRET_KEY": "x" * 31, "SMN_JWT_ALGORITHM": algorithm})


def test_a_configured_database_needs_a_secret_key():
    settings = Settings.from_env({"SMN_DATABASE_URL": "postgresql://smn@db/smn"})
    with pytest.raises(SettingsError, match="^SMN_SECRET_KEY: required when SMN_DATABASE_URL is set"):
        settings.check_secret_key()
    Settings.from_env({}).check_secret_key()


def test_the_app_refuses_to_start_without_it(settings):
    with pytest.raises(SettingsError, match="SMN_SECRET_KEY"):
        build_services(settings.replace(secret_key=None))


@pytest.mark.parametrize("variable, value", [("SMN_AUTH_RESYNC_INTERVAL", "0"), ("SMN_AUTH_CACHE_SIZE", "-1"),
                                             ("SMN_TOKEN_FAILURE_WINDOW", "1"), ("SMN_JWT_LEEWAY", "301")])
def test_bad_values_name_their_variable(variable, value):
    with pytest.raises(SettingsError) as error:
        Settings.from_env({variable: value})
    assert str(error.value).startswith(variable)
