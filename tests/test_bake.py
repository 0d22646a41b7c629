"""Every supported combination bakes into a clean project: rendered, shaped to its answers,
locked, and accepted unchanged by its own linter and formatter."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from combinations import ALL_COMBINATIONS, bake_ok, combination_id, run

# Jinja left in a file; GitHub's own expressions (${{ ... }}) are meant to stay.
UNRENDERED = re.compile(r"(?<!\$)\{\{|\{%|\{#|cookiecutter\.")


def unrendered_places(project: Path) -> list[str]:
    places = []
    for path in sorted(project.rglob("*")):
        if not path.is_file() or ".venv" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for number, line in enumerate(text.splitlines(), 1):
            if UNRENDERED.search(line):
                places.append(f"{path.relative_to(project)}:{number}: {line.strip()}")
    return places


@pytest.mark.parametrize("answers", ALL_COMBINATIONS, ids=combination_id)
def test_every_combination_bakes_clean(cookies, answers: dict) -> None:
    project = bake_ok(cookies, answers)
    package = project / "src" / "my_service"

    assert unrendered_places(project) == []
    tests = project / "tests"
    assert (package / "api" / "fanout_api.py").exists() == answers["async_sample"]
    assert (tests / "api" / "test_fanout.py").exists() == answers["async_sample"]
    fanout_live = tests / "concurrency" / "test_fanout_under_gunicorn.py"
    assert fanout_live.exists() == answers["async_sample"]
    gevent_postgres = (answers["worker_model"], answers["database"]) == ("gevent", "postgresql")
    assert (tests / "concurrency" / "test_gevent_postgres.py").exists() == gevent_postgres
    gevent_async = answers["worker_model"] == "gevent" and answers["async_sample"]
    assert (tests / "concurrency" / "test_gevent_async.py").exists() == gevent_async
    gevent = answers["worker_model"] == "gevent"
    assert (tests / "concurrency" / "test_gevent_fairness.py").exists() == gevent
    assert (tests / "concurrency" / "test_gevent_password_hashing.py").exists() == gevent
    gthread = answers["worker_model"] == "gthread"
    assert (package / "worker_models" / "balanced_threads.py").exists() == gthread
    assert (package / "worker_models" / "bounded_threads.py").exists() == gthread
    assert (tests / "concurrency" / "test_thread_balance.py").exists() == gthread
    sync = answers["worker_model"] == "sync"
    assert (package / "worker_models" / "bounded_sync.py").exists() == sync
    assert (package / "worker_models" / "bounded_gevent.py").exists() == gevent
    assert (package / "worker_models" / "overload.py").exists()
    assert (tests / "faults" / "test_overload_under_gunicorn.py").exists()
    assert not (project / "locks").exists()
    assert (project / "migrations" / "env.py").exists()
    assert len(list((project / "migrations" / "versions").glob("*.py"))) == 4
    assert layout_map_mismatches(project) == []

    metadata = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    dependencies = " ".join(metadata["project"]["dependencies"])
    assert ("gunicorn[gevent]" in dependencies) == (answers["worker_model"] == "gevent")
    assert ("psycopg[binary]" in dependencies) == (answers["database"] == "postgresql")
    assert ("flask[async]" in dependencies) == answers["async_sample"]
    # The post-gen hook's random .env must not stop `cruft update` from merging.
    assert metadata["tool"]["cruft"]["skip"] == [".env"]

    run(["uv", "sync", "--locked", "--quiet"], project)
    passes_its_own_pre_commit_hooks(project)
    config = run(
        ["uv", "run", "--locked", "gunicorn", "--print-config"], project, APP_ENV="testing"
    )
    worker_class = {
        "gthread": r"\S+\.worker_models\.bounded_threads\.BoundedThreadWorker",
        "sync": r"\S+\.worker_models\.bounded_sync\.BoundedSyncWorker",
        "gevent": r"\S+\.worker_models\.bounded_gevent\.BoundedGeventWorker",
    }[answers["worker_model"]]
    assert re.search(rf"^worker_class\s+= {worker_class}$", config, re.M), config
    assert re.search(r"^preload_app\s+= True$", config, re.M)
    assert re.search(r"^control_socket_disable\s+= True$", config, re.M)


# The template's own tests that the generated README cites for their figures.
TEMPLATE_TESTS = {
    "test_load_balancer.py",
    "test_overload.py",
    "test_slow_clients.py",
    "test_cross_origin_browser.py",
}


def layout_map_mismatches(project: Path) -> list[str]:
    """The generated README's Layout section names every module and folder of the package
    and every test group; every test file the README names exists in this bake (but the
    template's own tests, which it cites for their figures)."""
    readme = (project / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout") :]
    [package] = (project / "src").iterdir()
    # The routes in api/ are the team's: the map names the folder, not each sample.
    files = [path for path in package.rglob("*.py")
             if path.name != "__init__.py" and path.parent.name != "api"]  # fmt: skip
    folders = [*package.glob("*/"), *(project / "tests").glob("*/")]
    mismatches = [f"not in the Layout map: {path.relative_to(project)}" for path in files
                  if path.name not in layout]  # fmt: skip
    mismatches += [f"not in the Layout map: {path.relative_to(project)}/" for path in folders
                   if not path.name.startswith("__") and f"{path.name}/" not in layout]  # fmt: skip
    named_tests = set(re.findall(r"`(?:tests/)?((?:[a-z_]+/)?test_[a-z_]+\.py)`", readme))
    mismatches += [
        f"the README names a missing test: {name}"
        for name in sorted(named_tests - TEMPLATE_TESTS)
        if not (project / "tests" / name).exists()
    ]
    return mismatches


def passes_its_own_pre_commit_hooks(project: Path) -> None:
    """ruff check, ruff format and uv lock --check, as the project's pre-commit config runs
    them: offline, on a git-initialised bake, changing nothing."""
    run(["git", "init", "--quiet"], project)
    run(["git", "add", "--all"], project)
    offline = {"UV_OFFLINE": "1", "PRE_COMMIT_HOME": str(project.parent / "pre-commit")}
    run(["pre-commit", "run", "--all-files"], project, **offline)
    run(["git", "diff", "--exit-code"], project)  # and nothing was rewritten


def test_the_env_file_holds_a_fresh_secret_and_is_ignored(cookies) -> None:
    secrets = set()
    for _ in range(2):
        project = bake_ok(cookies, {})
        env = dict(
            line.split("=", 1)
            for line in (project / ".env").read_text().splitlines()
            if line and not line.startswith("#")
        )
        assert len(env["SECRET_KEY"]) >= 48
        secrets.add(env["SECRET_KEY"])
        assert ".env" in (project / ".gitignore").read_text().splitlines()
    assert len(secrets) == 2


def test_the_longest_allowed_names_still_pass_the_formatter(cookies) -> None:
    project = bake_ok(
        cookies,
        {
            "project_name": "A service with a rather long name",
            "project_slug": "a-" + "b" * 48,
            "package_name": "p" * 30,
            "worker_model": "gevent",
            "database": "postgresql",
        },
    )
    run(["uv", "sync", "--locked", "--quiet"], project)
    run(["uv", "run", "--locked", "ruff", "check", "."], project)
    run(["uv", "run", "--locked", "ruff", "format", "--check", "."], project)
