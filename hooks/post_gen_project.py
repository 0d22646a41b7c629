"""Shapes the new project to its answers: removes the files of options not chosen, installs
the lock file for its dependency set and the compose file for its database, and writes a
local .env with fresh secrets.

It asks nothing and needs no network.
"""

import json
import secrets
import shutil
import sys
from pathlib import Path

ANSWERS_AS_JSON = {
    "package_name": {{ cookiecutter.package_name | tojson | tojson }},
    "worker_model": {{ cookiecutter.worker_model | tojson | tojson }},
    "database": {{ cookiecutter.database | tojson | tojson }},
    "async_sample": {{ cookiecutter.async_sample | tojson | tojson }},
}
LOCKS_DIR = "locks"
DATABASES = ("sqlite", "postgresql")


def files_of_unchosen_options(answers):
    package = Path("src") / answers["package_name"]
    tests = Path("tests")
    if not answers["async_sample"]:
        yield package / "api" / "fanout_api.py"
        yield tests / "api" / "test_fanout.py"
        yield tests / "concurrency" / "test_fanout_under_gunicorn.py"
    if (answers["worker_model"], answers["database"]) != ("gevent", "postgresql"):
        yield tests / "concurrency" / "test_gevent_postgres.py"
    if answers["worker_model"] != "gevent":
        yield tests / "concurrency" / "test_gevent_fairness.py"
        yield tests / "concurrency" / "test_gevent_password_hashing.py"
    if answers["worker_model"] != "gthread":
        yield package / "worker_models" / "balanced_threads.py"
        yield package / "worker_models" / "bounded_threads.py"
        yield tests / "concurrency" / "test_thread_balance.py"
    if answers["worker_model"] != "sync":
        yield package / "worker_models" / "bounded_sync.py"
    if answers["worker_model"] != "gevent":
        yield package / "worker_models" / "bounded_gevent.py"
    if answers["worker_model"] != "gevent" or not answers["async_sample"]:
        yield tests / "concurrency" / "test_gevent_async.py"
    if answers["database"] != "postgresql":
        yield Path("haproxy.cfg")  # SQLite keeps one instance: nothing to balance
        yield tests / "faults" / "test_stale_connections.py"  # no server to end a connection
        # Counted in PostgreSQL's protocol.
        yield tests / "concurrency" / "test_database_round_trips.py"
        yield tests / "support" / "postgres_messages.py"


def lock_variant(answers):
    """The lock file's name: one per distinct set of dependencies the answers produce."""
    workers = "gevent" if answers["worker_model"] == "gevent" else "threads"
    views = "async" if answers["async_sample"] else "plain"
    return f"{workers}-{answers['database']}-{views}.lock"


def install_lock(project, answers):
    chosen = project / LOCKS_DIR / lock_variant(answers)
    if chosen.exists():
        chosen.replace(project / "uv.lock")
    shutil.rmtree(project / LOCKS_DIR, ignore_errors=True)


def install_compose(project, answers):
    """One compose file per database: the stacks differ in shape, not in a line or two."""
    for database in DATABASES:
        variant = project / f"compose.{database}.yaml"
        if database == answers["database"]:
            variant.replace(project / "compose.yaml")
        else:
            variant.unlink()


def write_env(project, answers):
    """Local secrets, git-ignored; `flask` and `docker compose` both read this file."""
    lines = [
        "# Local settings and secrets; git-ignored. Production sets real values.",
        f"SECRET_KEY={secrets.token_urlsafe(48)}",
    ]
    if answers["database"] == "postgresql":
        lines += [
            "# The password of compose.yaml's PostgreSQL.",
            f"POSTGRES_PASSWORD={secrets.token_urlsafe(24)}",
        ]
    lines += [
        "# REDIS_URL=redis://127.0.0.1:6379/0",
        "# DATABASE_URL=postgresql+psycopg://user@127.0.0.1:5432/dbname",
    ]
    (project / ".env").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(project):
    answers = {field: json.loads(text) for field, text in ANSWERS_AS_JSON.items()}
    for relative in files_of_unchosen_options(answers):
        (project / relative).unlink()
    install_lock(project, answers)
    install_compose(project, answers)
    write_env(project, answers)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path.cwd()))
