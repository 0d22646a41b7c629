"""Runs `flask db ...` the way a deploy does: a process of its own, production settings
(forked from a process that has imported the service: tests/support/flask_commands.py).

Also the pieces of the concurrent-upgrade test: a copy of migrations/ whose env.py starts
every run at the same moment and widens the gap between reading the current version and
writing the next one, with or without the project's migration lock.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.machinery.extensions import db
from {{ cookiecutter.package_name }}.machinery.schema import upgrade_to_head

from .common import TEST_SECRET_KEY
from .flask_commands import FlaskCommand, run_flask

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = PROJECT_ROOT / "migrations"
FLASK = str(Path(sys.executable).with_name("flask"))  # the real executable, for `flask run`
PACKAGE = "{{ cookiecutter.package_name }}"
# The app with a model change no migration describes yet (tests/support/schema_drift.py).
DRIFTED_APP = "tests.support.schema_drift"
LOCKED_LINE = "with context.begin_transaction(), migration_lock(connection):"
# How long a run waits between reading the current version and migrating from it.
RACE_WINDOW_SECONDS = 0.3
BARRIER_SECONDS = 60.0
# The revision the "old database" case upgrades to, one step past the shipped head.
PROBE_REVISION = "0f0f0f0f0f0f"


def head_revision(directory: Path = MIGRATIONS) -> str:
    return ScriptDirectory(str(directory)).get_current_head()


def environment(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "APP_ENV": "production",
        "SECRET_KEY": TEST_SECRET_KEY,
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url,
        **extra,
    }


def flask_db_arguments(
    subcommand: str, *args: str, app: str = PACKAGE, directory: Path | None = None
) -> list[str]:
    options = ["--directory", str(directory)] if directory else []
    return ["--app", app, "db", subcommand, *options, *args]


def flask_db(
    database_url: str,
    redis_url: str,
    *args: str,
    app: str = PACKAGE,
    directory: Path | None = None,
) -> subprocess.CompletedProcess:
    arguments = flask_db_arguments(*args, app=app, directory=directory)
    return run_flask(arguments, environment(database_url, redis_url))


def upgrade_in_process(database_url: str, redis_url: str) -> None:
    """To head with the shipped migrations: for a test's setup, where the CLI is not tested."""
    app = create_app({"APP_ENV": "testing", "DATABASE_URL": database_url, "REDIS_URL": redis_url})
    upgrade_to_head(app)
    with app.app_context():
        db.engine.dispose()  # the pool's connections would keep a PostgreSQL database in use


def upgrade_at_once(
    database_url: str, redis_url: str, directory: Path, runs: int
) -> list[subprocess.CompletedProcess]:
    """`runs` processes of `flask db upgrade` started together, as replicas would be."""
    barrier = directory / "barrier"
    barrier.mkdir()
    env = environment(
        database_url, redis_url, TEST_BARRIER_DIR=str(barrier), TEST_BARRIER_RUNS=str(runs)
    )
    arguments = flask_db_arguments("upgrade", directory=directory)
    commands = [FlaskCommand(arguments, env) for _ in range(runs)]
    return [command.finish() for command in commands]


def versions(database_url: str) -> list[str]:
    """The rows of alembic_version: exactly one, the head, after a good upgrade."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            if "alembic_version" not in inspect(connection).get_table_names():
                return []
            rows = connection.execute(text("SELECT version_num FROM alembic_version"))
            return sorted(row[0] for row in rows)
    finally:
        engine.dispose()


def table_names(database_url: str) -> set[str]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return set(inspect(connection).get_table_names())
    finally:
        engine.dispose()


def copy_of_migrations(destination: Path, *, locked: bool, probe_revision: bool) -> Path:
    """migrations/ with an env.py whose runs start together and wait between reading the
    version and migrating: with the project's lock (`locked`) or without it."""
    directory = destination / "migrations"
    shutil.copytree(MIGRATIONS, directory)
    env = directory / "env.py"
    source = env.read_text(encoding="utf-8")
    assert LOCKED_LINE in source, "env.py no longer takes the lock where this test expects"
    guards = "migration_lock(connection), " if locked else ""
    source = source.replace(
        LOCKED_LINE,
        "race.start_together()\n        "
        f"with context.begin_transaction(), {guards}race.wide_window(context):",
    )
    env.write_text(f"from tests.support import migration_runs as race\n{source}", encoding="utf-8")
    if probe_revision:
        (directory / "versions" / f"{PROBE_REVISION}_probe.py").write_text(
            PROBE_REVISION_SOURCE.format(revision=PROBE_REVISION, down=head_revision()),
            encoding="utf-8",
        )
    return directory


PROBE_REVISION_SOURCE = '''"""A later revision: an old database still has this to do."""

import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("upgrade_probe", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade() -> None:
    op.drop_table("upgrade_probe")
'''


def start_together() -> None:
    """Called by every run in the copied env.py: wait until all of them have arrived, so
    that they migrate at the same moment whatever their start-up took."""
    barrier = Path(os.environ["TEST_BARRIER_DIR"])
    (barrier / str(os.getpid())).touch()
    deadline = time.monotonic() + BARRIER_SECONDS
    while len(list(barrier.iterdir())) < int(os.environ["TEST_BARRIER_RUNS"]):
        assert time.monotonic() < deadline, "not every run reached env.py"
        time.sleep(0.01)


@contextlib.contextmanager
def wide_window(context) -> Iterator[None]:
    """Pause after Alembic reads the current version: every run that reads it before one
    has written then acts on a version that is no longer true."""
    migration_context = context.get_context()
    read = migration_context.get_current_heads

    def read_then_pause() -> tuple[str, ...]:
        heads = read()
        time.sleep(RACE_WINDOW_SECONDS)
        return heads

    migration_context.get_current_heads = read_then_pause
    yield
