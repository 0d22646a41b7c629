"""The schema comes from the migrations, as production builds it: a fresh database reaches
the one head, goes back to base and up again, `flask db check` sees any model change that
has no migration, the documented schema-change workflow works, and replicas that upgrade at
the same moment serialise on the migration lock (and, without it, fail)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from ..support.common import free_port
from ..support.migration_runs import (
    DRIFTED_APP,
    FLASK,
    MIGRATIONS,
    PACKAGE,
    PROBE_REVISION,
    PROJECT_ROOT,
    copy_of_migrations,
    environment,
    flask_db,
    head_revision,
    table_names,
    upgrade_at_once,
    upgrade_in_process,
    versions,
)

CONCURRENT_RUNS = 8
WAITED = "Another migration run holds the lock; waiting for it to finish"
# What a run that lost the race says: it created what another run had just created.
RACE_SYMPTOMS = ("already exists", "duplicate key value")


def succeeded(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, f"{result.args}:\n{result.stdout}\n{result.stderr}"
    return result


def test_a_fresh_database_upgrades_to_the_one_head_and_back_to_base(
    fresh_database_url: str, redis_url: str
) -> None:
    url = fresh_database_url
    succeeded(flask_db(url, redis_url, "upgrade"))
    assert versions(url) == [head_revision()]
    assert {"counter", "alembic_version"} <= table_names(url)
    check = succeeded(flask_db(url, redis_url, "check"))
    assert "No new upgrade operations detected" in check.stdout + check.stderr

    succeeded(flask_db(url, redis_url, "downgrade", "base"))
    assert versions(url) == []
    assert "counter" not in table_names(url)
    succeeded(flask_db(url, redis_url, "upgrade"))
    assert versions(url) == [head_revision()]


def test_the_development_server_brings_its_database_to_head(
    fresh_database_url: str, redis_url: str
) -> None:
    """`flask run` needs no setup step: the two-command promise of the README."""
    port = free_port()
    env = {**environment(fresh_database_url, redis_url), "APP_ENV": "development"}
    command = [FLASK, "--app", PACKAGE, "run", "--port", str(port)]
    with subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    ) as server:
        try:
            response = wait_for_answer(f"http://127.0.0.1:{port}/api/counters/dev", server)
        finally:
            server.terminate()
    assert response.json() == {"name": "dev", "value": 1}
    assert versions(fresh_database_url) == [head_revision()]


def wait_for_answer(url: str, server: subprocess.Popen, seconds: float = 30) -> requests.Response:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return requests.post(url, timeout=5)
        except requests.ConnectionError:
            assert server.poll() is None, server.stdout.read().decode()
            assert time.monotonic() < deadline, "the development server did not answer"
            time.sleep(0.1)


def test_a_model_change_without_a_migration_fails_the_check(
    database_url: str, redis_url: str
) -> None:
    """The run's database is at head; the drifted app has a column no migration adds."""
    drifted = flask_db(database_url, redis_url, "check", app=DRIFTED_APP)
    assert drifted.returncode == 1, drifted.stdout + drifted.stderr
    assert "New upgrade operations detected" in drifted.stdout + drifted.stderr


def test_a_schema_change_by_the_documented_workflow(
    fresh_database_url: str, redis_url: str, tmp_path: Path
) -> None:
    """Edit the model, `flask db migrate -m`, upgrade, check; and the way back down."""
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, directory)
    url = fresh_database_url
    upgrade_in_process(url, redis_url)
    message = ("migrate", "-m", "Add a counter label")
    succeeded(flask_db(url, redis_url, *message, app=DRIFTED_APP, directory=directory))
    [revision] = [path for path in (directory / "versions").glob("*add_a_counter_label*.py")]
    source = revision.read_text(encoding="utf-8")
    # Named by the metadata's naming convention, so that SQLite's batch mode can drop it.
    assert 'op.f("uq_counter_label")' in source, source
    # The new file passes the project's own linter and formatter as written.
    for ruff in (["check"], ["format", "--check"]):
        command = [sys.executable, "-m", "ruff", *ruff, str(revision)]
        succeeded(subprocess.run(command, capture_output=True, text=True))

    succeeded(flask_db(url, redis_url, "upgrade", app=DRIFTED_APP, directory=directory))
    succeeded(flask_db(url, redis_url, "check", app=DRIFTED_APP, directory=directory))
    succeeded(flask_db(url, redis_url, "downgrade", directory=directory))  # one step back
    assert versions(url) == [head_revision()]
    succeeded(flask_db(url, redis_url, "check"))


@pytest.mark.parametrize("database_state", ["fresh", "old"])
def test_concurrent_upgrades_serialise_on_the_lock(
    fresh_database_url: str, redis_url: str, tmp_path: Path, database_state: str
) -> None:
    url = fresh_database_url
    results, final = upgrade_concurrently(url, redis_url, tmp_path, database_state, locked=True)
    for result in results:
        succeeded(result)
    assert versions(url) == [final]
    # The runs really overlapped: all but the first found the lock taken.
    assert sum(WAITED in result.stdout for result in results) >= CONCURRENT_RUNS // 2


@pytest.mark.parametrize("database_state", ["fresh", "old"])
def test_without_the_lock_the_same_upgrades_race(
    fresh_database_url: str, redis_url: str, tmp_path: Path, database_state: str
) -> None:
    """The broken variant: the very same runs, with the lock left out of env.py."""
    url = fresh_database_url
    results, _ = upgrade_concurrently(url, redis_url, tmp_path, database_state, locked=False)
    failed = [result.stdout + result.stderr for result in results if result.returncode != 0]
    assert failed, "every run succeeded without the lock: this test cannot see the race"
    for output in failed:
        assert any(symptom in output for symptom in RACE_SYMPTOMS), output


def upgrade_concurrently(
    url: str, redis_url: str, tmp_path: Path, database_state: str, *, locked: bool
) -> tuple[list[subprocess.CompletedProcess], str]:
    """Start the runs together; an "old" database is one revision behind their target."""
    old = database_state == "old"
    directory = copy_of_migrations(tmp_path, locked=locked, probe_revision=old)
    if old:
        upgrade_in_process(url, redis_url)
    results = upgrade_at_once(url, redis_url, directory, CONCURRENT_RUNS)
    return results, PROBE_REVISION if old else head_revision()
