"""Alembic's environment for `flask db ...`: the migrations run on the app's own engine and
metadata, one run at a time per database (machinery/migration_lock.py)."""

import logging

from alembic import context
from flask import current_app

# The team's tables, on the metadata that `flask db migrate` and `flask db check` compare
# with the database.
from {{ cookiecutter.package_name }} import models  # noqa: F401
from {{ cookiecutter.package_name }}.machinery.migration_lock import migration_lock

# No logging set-up here: the service's own (machinery/log_config.py) carries Alembic's
# lines too.
config = context.config


def skip_empty_revision(_context, _revision, directives) -> None:
    """`flask db migrate` with no model change writes nothing, instead of an empty file."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logging.getLogger("alembic.env").info("No changes in schema detected.")


def run_offline(migrate) -> None:
    """`flask db upgrade --sql`: print the SQL instead of running it."""
    url = migrate.db.engine.url.render_as_string(hide_password=False)
    context.configure(url=url, target_metadata=migrate.db.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online(migrate) -> None:
    options = {"process_revision_directives": skip_empty_revision, **migrate.configure_args}
    with migrate.db.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=migrate.db.metadata, **options)
        # Inside the transaction, and before Alembic reads the current version.
        with context.begin_transaction(), migration_lock(connection):
            context.run_migrations()


if context.is_offline_mode():
    run_offline(current_app.extensions["migrate"])
else:
    run_online(current_app.extensions["migrate"])
