"""The application factory: every app is built here, configured, and nothing else is global."""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import Mapping
from typing import Any

from flask import Flask

from . import api
from .machinery import baked
from .machinery.api_contract import build_api_contract, init_api_contract
from .machinery.api_docs import init_api_docs
from .machinery.cross_origin import init_cross_origin_protection
from .machinery.database import database_url, engine_options, init_database
from .machinery.errors import register_error_handlers
from .machinery.health import blueprint as health_blueprint
from .machinery.json_bodies import init_json_bodies
from .machinery.log_config import init_logging
from .machinery.login_throttle import init_login_throttle
from .machinery.metrics import init_metrics
from .machinery.passwords import init_passwords
from .machinery.proxies import init_proxies
from .machinery.request_id import init_request_id
from .machinery.schema import init_schema
from .machinery.security_headers import init_security_headers
from .machinery.service_flask import ServiceFlask
from .machinery.sessions import init_sessions
from .machinery.settings import load_settings
from .machinery.shared_cache import init_shared_cache


def _api_blueprints():
    for module in pkgutil.iter_modules(api.__path__):
        yield importlib.import_module(f"{api.__name__}.{module.name}").blueprint


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build an app from the environment; `config` overrides environment values."""
    settings = load_settings({**os.environ, **(config or {})})
    app = ServiceFlask(
        __name__,
        instance_relative_config=True,
        title=baked.PROJECT_NAME,
        version=api.VERSION,
        enable_openapi=settings.api_docs,
        docs_path=None,  # served by machinery/api_docs.py, without a CDN
        json_errors=False,  # machinery/errors.py answers every error
    )
    if settings.is_production:
        app.debug = False  # Flask would take it from FLASK_DEBUG, even in production
    init_logging(app, settings)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TESTING=settings.app_env == "testing",
        # Errors are answered the same way in every environment, tests included: a test
        # must see the JSON 503 a client would, not the raw exception.
        PROPAGATE_EXCEPTIONS=False,
        MAX_CONTENT_LENGTH=settings.max_content_length,
        TRUSTED_HOSTS=list(settings.trusted_hosts) or None,
        SQLALCHEMY_DATABASE_URI=database_url(settings, app.instance_path, __name__),
        APP_SETTINGS=settings,
    )
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], settings
    )

    init_database(app)
    init_schema(app, settings)
    init_sessions(app, settings)
    init_cross_origin_protection(app, settings)  # before any other hook: refused first
    init_request_id(app)
    init_json_bodies(app)
    init_api_contract(app)
    init_security_headers(app)
    register_error_handlers(app)
    app.register_blueprint(health_blueprint)
    init_metrics(app)
    init_shared_cache(app, settings)
    init_passwords(app, settings)
    init_login_throttle(app, settings)
    init_proxies(app, settings)
    for blueprint in _api_blueprints():
        app.register_blueprint(blueprint)
    if settings.api_docs:
        init_api_docs(app, baked.PROJECT_NAME)
        build_api_contract(app)

    return app
