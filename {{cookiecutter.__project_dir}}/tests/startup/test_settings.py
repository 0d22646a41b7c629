"""Settings: production refuses weak or missing secrets; every value is checked for type."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.machinery.settings import ConfigError, load_settings

from ..support.common import TEST_SECRET_KEY, free_port

PRODUCTION = {"APP_ENV": "production", "SECRET_KEY": TEST_SECRET_KEY, "REDIS_URL": "redis://x"}
PRODUCTION["DATABASE_URL"] = "postgresql://db/service"


def test_production_accepts_a_complete_environment() -> None:
    settings = load_settings(PRODUCTION)
    assert settings.is_production
    assert settings.session_cookie_secure is True
    assert settings.database_url == "postgresql+psycopg://db/service"
    assert settings.log_format == "json"


@pytest.mark.parametrize(
    ("change", "variable"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"SECRET_KEY": "x" * 31}, "SECRET_KEY"),
        ({"REDIS_URL": None}, "REDIS_URL"),
        ({"APP_ENV": "staging"}, "APP_ENV"),
        ({"DB_POOL_SIZE": "many"}, "DB_POOL_SIZE"),
        ({"DB_POOL_SIZE": "0"}, "DB_POOL_SIZE"),
        ({"SESSION_COOKIE_SECURE": "perhaps"}, "SESSION_COOKIE_SECURE"),
        ({"REDIS_SOCKET_TIMEOUT": "inf"}, "REDIS_SOCKET_TIMEOUT"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
        ({"METRICS_ALLOWED_NETWORKS": "10.0.0.0/33"}, "METRICS_ALLOWED_NETWORKS"),
        ({"METRICS_ALLOWED_NETWORKS": "everyone"}, "METRICS_ALLOWED_NETWORKS"),
        ({"SECRET_KEY": 123456}, "SECRET_KEY"),
        ({"DATABASE_URL": "sqlite://"}, "DATABASE_URL"),
        ({"DATABASE_URL": "sqlite:///:memory:"}, "DATABASE_URL"),
    ],
)
def test_a_bad_value_is_refused_by_name(change: dict, variable: str) -> None:
    env = {key: value for key, value in {**PRODUCTION, **change}.items() if value is not None}
    with pytest.raises(ConfigError, match=variable):
        load_settings(env)


def test_development_needs_nothing() -> None:
    settings = load_settings({})
    assert settings.app_env == "development"
    assert settings.log_format == "text"
    assert settings.redis_url is None and settings.database_url is None
    assert len(settings.secret_key) >= 32


def test_gunicorns_entry_point_stops_with_one_line_naming_the_variable(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key not in PRODUCTION}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2] / "src")
    result = subprocess.run(
        [sys.executable, "-c", "import {{ cookiecutter.package_name }}.server.wsgi"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "SECRET_KEY" in lines[0]


@pytest.mark.parametrize(
    ("change", "variable"),
    [({"SECRET_KEY": None}, "SECRET_KEY"), ({"REDIS_URL": None}, "REDIS_URL"),
     ({"LOG_FORMAT": "xml"}, "LOG_FORMAT")],
)  # fmt: skip
def test_gunicorn_refuses_to_start_with_one_line(change: dict, variable: str, redis_url) -> None:
    env = {key: value for key, value in os.environ.items() if key not in PRODUCTION}
    env.update(SECRET_KEY=TEST_SECRET_KEY, REDIS_URL=redis_url, DATABASE_URL="postgresql://x/y")
    env["GUNICORN_BIND"] = f"127.0.0.1:{free_port()}"
    env = {key: value for key, value in {**env, **change}.items() if value is not None}
    result = subprocess.run(
        [str(Path(sys.executable).with_name("gunicorn"))],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    output = (result.stdout + result.stderr).strip().splitlines()
    assert output == [output[0]] and variable in output[0], output
