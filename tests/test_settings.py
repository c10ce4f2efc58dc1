import subprocess
import sys
from pathlib import Path

import pytest

from smn.settings import Settings, SettingsError, describe

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_need_no_environment():
    settings = Settings.from_env({})
    assert settings.database_url is None
    assert settings.odoo_protocol == "auto"
    assert settings.bind == "127.0.0.1:8000"
    assert settings.base_url == "http://127.0.0.1:8000"


def test_values_are_parsed_and_typed():
    settings = Settings.from_env({
        "SMN_DATABASE_URL": "postgresql://smn@db/smn",
        "SMN_ODOO_URL": "https://erp.example.com/",
        "SMN_ODOO_API_KEY": "k",
        "SMN_ODOO_PROTOCOL": "JSON2",
        "SMN_ODOO_READ_TIMEOUT": "2.5",
        "SMN_WORKERS": "4",
        "SMN_LOG_LEVEL": "debug",
    })
    assert settings.odoo_url == "https://erp.example.com"
    assert settings.odoo_protocol == "json2"
    assert settings.odoo_read_timeout == 2.5
    assert settings.workers == 4
    assert settings.log_level == "DEBUG"


def test_settings_are_frozen():
    settings = Settings.from_env({})
    with pytest.raises(Exception):
        settings.workers = 3


@pytest.mark.parametrize("variable, value", [
    ("SMN_WORKERS", "many"),
    ("SMN_WORKERS", "0"),
    ("SMN_ODOO_READ_TIMEOUT", "-1"),
    ("SMN_ODOO_PROTOCOL", "soap"),
    ("SMN_DATABASE_URL", "mysql://x/y"),
    ("SMN_ODOO_URL", "erp.example.com"),
    ("SMN_BIND", "8000"),
    ("SMN_LOG_LEVEL", "LOUD"),
    ("SMN_JWT_ALGORITHM", "none"),
])
def test_bad_value_names_the_variable(variable, value):
    with pytest.raises(SettingsError) as error:
        Settings.from_env({variable: value})
    assert str(error.value).startswith(variable)


def test_odoo_url_needs_a_credential():
    with pytest.raises(SettingsError, match="SMN_ODOO_PASSWORD or SMN_ODOO_API_KEY"):
        Settings.from_env({"SMN_ODOO_URL": "http://odoo:8069"})


def test_ttl_cannot_exceed_maximum():
    with pytest.raises(SettingsError, match="SMN_TOKEN_TTL"):
        Settings.from_env({"SMN_TOKEN_TTL": "7200", "SMN_TOKEN_MAX_TTL": "3600"})


def test_every_setting_is_described():
    names = [row[0] for row in describe()]
    assert all(name.startswith("SMN_") for name in names)
    assert len(names) == len(set(names))


def test_command_line_prints_one_clear_line_without_traceback():
    result = subprocess.run([sys.executable, "-m", "smn", "migrate"], cwd=ROOT, capture_output=True, text=True,
                            env={"SMN_WORKERS": "lots", "PATH": "/usr/bin:/bin"}, timeout=60)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == ["smn: configuration error: SMN_WORKERS='lots': must be a whole number"]
    assert "Traceback" not in result.stdout + result.stderr
