"""The schema is built and changed only by the migrations in migrations/ (Alembic, through
Flask-Migrate). Production runs `flask --app <package> db upgrade` once per deploy; the
development server brings its database to head by itself.

create_all is never used: it leaves no alembic_version row, and the next upgrade then fails
on a table that already exists.
"""

from __future__ import annotations

import click
from flask import Flask
from flask_migrate import upgrade

from .extensions import db, migrate
from .settings import Settings


def upgrade_to_head(app: Flask) -> None:
    with app.app_context():
        upgrade()


def _served_by_flask_run() -> bool:
    # Only the development server: `flask db ...` manages the schema itself, and a broken
    # migration must not stop the command that would repair it.
    command = click.get_current_context(silent=True)
    return command is not None and command.info_name == "run"


def init_schema(app: Flask, settings: Settings) -> None:
    migrate.init_app(app, db)
    if settings.app_env == "development" and _served_by_flask_run():
        upgrade_to_head(app)
