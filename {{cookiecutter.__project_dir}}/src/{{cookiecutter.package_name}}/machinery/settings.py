"""Settings read from the environment once, validated for type, frozen afterwards.

Everything the service can be told lives here, so that a bad value stops the start with one
line naming the variable instead of surfacing later as a confusing runtime error.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Any

from limits import RateLimitItem, parse

from . import baked

ENVIRONMENTS = ("development", "production", "testing")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("json", "text")
# Who may read /metrics by default: loopback and private ranges, never the internet.
PRIVATE_NETWORKS = "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"
MIN_SECRET_KEY_LENGTH = 32
# OWASP's Password Storage Cheat Sheet: Argon2id with at least 19 MiB and two passes.
OWASP_MIN_MEMORY_KIB = 19 * 1024
OWASP_MIN_TIME_COST = 2
_POSTGRES_SCHEMES = re.compile(r"^(postgres|postgresql)(\+psycopg2)?://")


class ConfigError(ValueError):
    """A setting is missing or invalid; the message names the variable."""


@dataclasses.dataclass(frozen=True)
class Settings:
    app_env: str
    secret_key: str
    database_url: str | None
    redis_url: str | None
    session_lifetime_seconds: int
    session_absolute_lifetime_seconds: int
    session_key_prefix: str
    session_cookie_secure: bool
    max_content_length: int
    trusted_hosts: tuple[str, ...]
    log_level: str
    log_format: str
    metrics_allowed_networks: tuple[IPv4Network | IPv6Network, ...]
    db_pool_size: int
    db_max_overflow: int
    db_pool_timeout: float
    sqlite_busy_timeout: float
    redis_max_connections: int
    redis_socket_timeout: float
    redis_pool_timeout: float
    trusted_proxy_hops: int
    drain_flag_file: str | None
    api_docs: bool
    cache_key_prefix: str
    top_counters_ttl_seconds: float
    trusted_origins: frozenset[str]
    password_hash_memory_kib: int
    password_hash_time_cost: int
    password_hash_slots: int
    login_account_limit: RateLimitItem
    login_address_limit: RateLimitItem
    throttle_key_prefix: str

    @property
    def is_production(self) -> bool:
        return self.app_env == "production"


def _text(env: Mapping[str, Any], name: str, default: str | None = None) -> str | None:
    value = env.get(name, default)
    if value is None:
        return None
    if not isinstance(value, str):
        # Values given as Python objects (tests, create_app overrides) must still be text
        # where text is expected: FLASK_SECRET_KEY=123 decoded as an int breaks signing.
        raise ConfigError(f"{name} must be a string, got {type(value).__name__}")
    return value.strip() or None


def _integer(env: Mapping[str, Any], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name, default)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if isinstance(raw, bool) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {raw!r}")
    return value


def _number(env: Mapping[str, Any], name: str, default: float, minimum: float) -> float:
    raw = env.get(name, default)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if not value >= minimum or value == float("inf"):
        raise ConfigError(f"{name} must be a finite number >= {minimum}, got {raw!r}")
    return value


def _boolean(env: Mapping[str, Any], name: str, default: bool) -> bool:
    raw = env.get(name, default)
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _log_level(env: Mapping[str, Any]) -> str:
    level = (_text(env, "LOG_LEVEL", "INFO") or "INFO").upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {level!r}")
    return level


def _log_format(env: Mapping[str, Any], production: bool) -> str:
    value = (_text(env, "LOG_FORMAT") or ("json" if production else "text")).lower()
    if value not in LOG_FORMATS:
        raise ConfigError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, got {value!r}")
    return value


def log_settings(env: Mapping[str, Any]) -> tuple[str, str]:
    """LOG_FORMAT and LOG_LEVEL alone: what gunicorn's logger needs, before the app is built."""
    production = (_text(env, "APP_ENV", "development") or "development") == "production"
    return _log_format(env, production), _log_level(env)


def _networks(env: Mapping[str, Any], name: str, default: str) -> tuple:
    raw = _text(env, name, default) or ""
    try:
        return tuple(
            ip_network(part.strip(), strict=False) for part in raw.split(",") if part.strip()
        )
    except ValueError:
        raise ConfigError(
            f"{name} must be comma-separated networks (10.0.0.0/8), got {raw!r}"
        ) from None


_ORIGIN = re.compile(r"^https?://[^/?#\s]+$")


def _origins(env: Mapping[str, Any], name: str) -> frozenset[str]:
    """Origins as a browser sends them (scheme://host[:port], no path), compared exactly."""
    raw = _text(env, name) or ""
    origins = [part.strip().lower() for part in raw.split(",") if part.strip()]
    wrong = [origin for origin in origins if not _ORIGIN.match(origin)]
    if wrong:
        raise ConfigError(
            f"{name} must be comma-separated origins (https://app.example.com), got {wrong[0]!r}"
        )
    return frozenset(origins)


def _rate_limit(env: Mapping[str, Any], name: str, default: str) -> RateLimitItem:
    raw = _text(env, name, default) or default
    try:
        return parse(raw)
    except ValueError:
        raise ConfigError(
            f"{name} must be a rate such as '5 per 15 minutes', got {raw!r}"
        ) from None


def normalise_database_url(url: str) -> str:
    """Name the psycopg 3 driver explicitly: SQLAlchemy would otherwise pick psycopg2."""
    if url.startswith("sqlite") and (":memory:" in url or url.rstrip("/") == "sqlite:"):
        # An in-memory SQLite URL gets one connection shared by every thread: no isolation.
        raise ConfigError("DATABASE_URL must not be in-memory SQLite; use a file path")
    return _POSTGRES_SCHEMES.sub("postgresql+psycopg://", url, count=1)


def load_settings(env: Mapping[str, Any]) -> Settings:
    app_env = _text(env, "APP_ENV", "development")
    if app_env not in ENVIRONMENTS:
        raise ConfigError(f"APP_ENV must be one of {', '.join(ENVIRONMENTS)}, got {app_env!r}")
    production = app_env == "production"

    secret_key = _text(env, "SECRET_KEY")
    if production and (secret_key is None or len(secret_key) < MIN_SECRET_KEY_LENGTH):
        raise ConfigError(
            f"SECRET_KEY must be set to at least {MIN_SECRET_KEY_LENGTH} characters in production"
        )
    redis_url = _text(env, "REDIS_URL")
    if production and redis_url is None:
        raise ConfigError("REDIS_URL must be set in production (sessions live in Redis)")
    database_url = _text(env, "DATABASE_URL")
    if production and database_url is None and baked.DATABASE == "postgresql":
        raise ConfigError("DATABASE_URL must be set in production (postgresql+psycopg://...)")

    return Settings(
        app_env=app_env,
        # Development without a key still signs nothing: server-side sessions carry a random
        # id, not signed data. A per-process key keeps flash() and friends working.
        secret_key=secret_key or os.urandom(32).hex(),
        database_url=normalise_database_url(database_url) if database_url else None,
        redis_url=redis_url,
        session_lifetime_seconds=_integer(env, "SESSION_LIFETIME_SECONDS", 86400, minimum=60),
        session_key_prefix=_text(env, "SESSION_KEY_PREFIX", "session:") or "session:",
        session_cookie_secure=_boolean(env, "SESSION_COOKIE_SECURE", production),
        # Apart from SESSION_LIFETIME_SECONDS's line, which a team may well have edited: an
        # update from the template then merges without a conflict.
        session_absolute_lifetime_seconds=_integer(
            env, "SESSION_ABSOLUTE_LIFETIME_SECONDS", 12 * 3600, minimum=1
        ),
        max_content_length=_integer(env, "MAX_CONTENT_LENGTH", 1024 * 1024, minimum=1024),
        trusted_hosts=tuple(
            host.strip() for host in (_text(env, "TRUSTED_HOSTS") or "").split(",") if host.strip()
        ),
        log_level=_log_level(env),
        log_format=_log_format(env, production),
        metrics_allowed_networks=_networks(env, "METRICS_ALLOWED_NETWORKS", PRIVATE_NETWORKS),
        db_pool_size=_integer(env, "DB_POOL_SIZE", 5, minimum=1),
        db_max_overflow=_integer(env, "DB_MAX_OVERFLOW", 2),
        db_pool_timeout=_number(env, "DB_POOL_TIMEOUT", 5.0, minimum=0.1),
        sqlite_busy_timeout=_number(env, "SQLITE_BUSY_TIMEOUT", 5.0, minimum=0.0),
        redis_max_connections=_integer(env, "REDIS_MAX_CONNECTIONS", 16, minimum=1),
        redis_socket_timeout=_number(env, "REDIS_SOCKET_TIMEOUT", 0.5, minimum=0.05),
        redis_pool_timeout=_number(env, "REDIS_POOL_TIMEOUT", 0.5, minimum=0.0),
        trusted_proxy_hops=_integer(env, "TRUSTED_PROXY_HOPS", 0),
        drain_flag_file=_text(env, "DRAIN_FLAG_FILE"),
        # /openapi.json and /docs: on by default outside production, where publishing the
        # API's shape is a choice to make.
        api_docs=_boolean(env, "API_DOCS", not production),
        cache_key_prefix=_text(env, "CACHE_KEY_PREFIX", "cache:") or "cache:",
        # 0 turns the cache off for this read: every request computes it.
        top_counters_ttl_seconds=_number(env, "TOP_COUNTERS_TTL_SECONDS", 2.0, minimum=0.0),
        trusted_origins=_origins(env, "TRUSTED_ORIGINS"),
        password_hash_memory_kib=_integer(
            env, "PASSWORD_HASH_MEMORY_KIB", OWASP_MIN_MEMORY_KIB, minimum=OWASP_MIN_MEMORY_KIB
        ),
        password_hash_time_cost=_integer(
            env, "PASSWORD_HASH_TIME_COST", OWASP_MIN_TIME_COST, minimum=OWASP_MIN_TIME_COST
        ),
        password_hash_slots=_integer(env, "PASSWORD_HASH_SLOTS", 2, minimum=1),
        login_account_limit=_rate_limit(env, "LOGIN_ACCOUNT_LIMIT", "5 per 15 minutes"),
        login_address_limit=_rate_limit(env, "LOGIN_ADDRESS_LIMIT", "100 per 15 minutes"),
        throttle_key_prefix=_text(env, "THROTTLE_KEY_PREFIX", "throttle:") or "throttle:",
    )
