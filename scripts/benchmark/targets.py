"""What one gunicorn serves: the service itself, or an app from apps/ in its place.

An app in the service's place is served through apps/variant.conf.py, which runs the
service's own gunicorn.conf.py and changes only the app, so both get the same settings.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from .baking import BakedService
from .local_services import HOST, REDIS_URL
from .mix_users import ADDRESS_LIMIT
from .options import Settings
from .processes import environment

APPS_DIR = Path(__file__).resolve().parent / "apps"
VARIANT_CONFIG = APPS_DIR / "variant.conf.py"
ASGI_CONFIG = APPS_DIR / "asgi.conf.py"


@dataclass(frozen=True)
class Run:
    """What every server of one run shares: its database, session prefix and scratch dir."""

    workdir: Path
    database_url: str
    # The baseline's schema comes from its own migrations: a database of its own.
    baseline_database_url: str | None = None
    session_prefix: str = field(default_factory=lambda: f"bench-{secrets.token_hex(4)}:")
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(48))


@dataclass(frozen=True)
class Target:
    name: str
    wsgi_app: str | None = None  # None: the service's own, from its own config
    # Put before the run's prefix: the naive app's sessions never mix with the service's.
    key_prefix: str = ""
    baseline: bool = False  # the service as --baseline made it, on its own database
    settings: tuple[tuple[str, str], ...] = ()  # the service's own settings, changed
    # The service under gunicorn's asgi worker, through this adapter (apps/asgi_adapters.py)
    asgi_adapter: str | None = None

    def model_label(self, service: BakedService) -> str:
        """What the table calls the server: its service's worker model, or the asgi worker
        and its adapter."""
        return f"asgi+{self.asgi_adapter}" if self.asgi_adapter else service.model

    def worker_class(self, service: BakedService) -> str:
        return "asgi" if self.asgi_adapter else service.worker_class

    def session_prefix(self, run: Run) -> str:
        return self.key_prefix + run.session_prefix

    def command(self, service: BakedService) -> list[str]:
        config = service.gunicorn_config
        if self.asgi_adapter is not None:
            config = ASGI_CONFIG
        elif self.wsgi_app is not None:
            config = VARIANT_CONFIG
        return [str(service.executable("gunicorn")), "-c", str(config)]

    def environment(
        self, service: BakedService, run: Run, settings: Settings, port: int | None = None
    ) -> dict[str, str]:
        env = environment(
            WEB_CONCURRENCY=str(settings.workers),
            APP_ENV="production",
            SECRET_KEY=run.secret_key,
            REDIS_URL=REDIS_URL,
            DATABASE_URL=run.baseline_database_url if self.baseline else run.database_url,
            SESSION_COOKIE_SECURE="false",
            SESSION_KEY_PREFIX=self.session_prefix(run),
            # Under the session prefix: the run's cleanup removes the cached values too,
            # and the login throttle's counts.
            CACHE_KEY_PREFIX=f"{self.session_prefix(run)}cache:",
            THROTTLE_KEY_PREFIX=f"{self.session_prefix(run)}throttle:",
            LOGIN_ADDRESS_LIMIT=ADDRESS_LIMIT,
            **dict(self.settings),
        )
        if port is not None:
            env["GUNICORN_BIND"] = f"{HOST}:{port}"
        if settings.max_requests is not None:
            env["GUNICORN_MAX_REQUESTS"] = str(settings.max_requests)
        if self.wsgi_app is not None:
            env["BENCH_SERVICE_CONFIG"] = str(service.gunicorn_config)
            env["BENCH_WSGI_APP"] = self.wsgi_app
            # Not gunicorn's `pythonpath`, which applies only after `--print-config` has
            # imported the app, nor `--chdir`, which would move the service's config off the
            # project root it is meant to run from.
            env["PYTHONPATH"] = str(APPS_DIR)
        if self.asgi_adapter is not None:
            env["BENCH_SERVICE_CONFIG"] = str(service.gunicorn_config)
            env["BENCH_SERVICE_APP"] = service.wsgi_app
            env["BENCH_ASGI_ADAPTER"] = self.asgi_adapter
            env["PYTHONPATH"] = str(APPS_DIR)
        return env


SERVICE = Target("service")
BARE = Target("bare", "bare_app:app")
NAIVE = Target("naive", "naive_app:app", key_prefix="naive:")
BASELINE = Target("baseline", key_prefix="baseline:", baseline=True)
ASGIREF = Target("asgiref", key_prefix="asgiref:", asgi_adapter="asgiref")
A2WSGI = Target("a2wsgi", key_prefix="a2wsgi:", asgi_adapter="a2wsgi")
UNCACHED = Target("uncached", key_prefix="uncached:", settings=(("TOP_COUNTERS_TTL_SECONDS", "0"),))
