"""The deployment artifacts of every bake pass their linters at full strictness (hadolint,
the vendored JSON schemas of compose, GitHub workflows and dependabot, zizmor), and have the
shape that keeps a deployment correct: an image that runs gunicorn as PID 1 under a numeric
user, and a stack that starts the app only after its dependencies are healthy and the one-off
migration has succeeded."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from combinations import ALL_COMBINATIONS, DATABASES, bake_ok, combination_id, run
from dockerfile import parse, stage

TEMPLATE = Path(__file__).resolve().parents[1]
GRACEFUL_TIMEOUT_SECONDS = 30  # gunicorn.conf.py's default


def lint(project: Path) -> None:
    run(["hadolint", "Dockerfile"], project)
    run(["check-jsonschema", "--builtin-schema", "vendor.compose-spec", "compose.yaml"], project)
    run(["check-jsonschema", "--builtin-schema", "vendor.dependabot", ".github/dependabot.yml"],
        project)  # fmt: skip
    lint_workflows(project)


def lint_workflows(root: Path) -> None:
    workflows = sorted(str(path) for path in (root / ".github" / "workflows").glob("*.yml"))
    assert workflows
    for schema in ("vendor.github-workflows", "custom.github-workflows-require-timeout"):
        run(["check-jsonschema", "--builtin-schema", schema, *workflows], root)
    run(["zizmor", "--offline", "--no-progress", ".github"], root)


@pytest.mark.parametrize("answers", ALL_COMBINATIONS, ids=combination_id)
def test_every_bake_passes_the_deploy_linters(cookies, answers: dict) -> None:
    lint(bake_ok(cookies, answers))


def test_the_templates_own_workflow_passes_the_same_linters() -> None:
    lint_workflows(TEMPLATE)


def test_the_image_runs_gunicorn_as_pid_1_under_a_numeric_user(cookies) -> None:
    project = bake_ok(cookies, {})
    stages = parse((project / "Dockerfile").read_text(encoding="utf-8"))
    build, runtime = stage(stages, "build"), stage(stages, "runtime")
    assert runtime is stages[-1] and runtime.base.startswith("python:3.11-slim")

    # Dependencies in a layer of their own, before the code.
    order = [(item.keyword, item.arguments) for item in build.instructions]
    deps = order.index(("RUN", "uv sync --locked --no-dev --no-install-project"))
    assert order.index(("COPY", "pyproject.toml uv.lock ./")) < deps < order.index(("COPY", ". ."))

    [user] = runtime.of("USER")
    assert re.fullmatch(r"[1-9]\d*:[1-9]\d*", user.arguments), user
    [cmd] = runtime.of("CMD")
    assert cmd.exec_form() == ["gunicorn", "--config", "gunicorn.conf.py"]
    [expose] = runtime.of("EXPOSE")
    assert expose.arguments == "8000"
    [healthcheck] = runtime.of("HEALTHCHECK")
    assert "curl" not in healthcheck.arguments and healthcheck.exec_form()[0] == "python"
    for item in build.instructions + runtime.instructions:
        assert item.keyword not in ("ARG", "ENV") or "SECRET" not in item.arguments, item

    ignored = (project / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".env", ".venv", "instance", "src/instance", "**/__pycache__"} <= set(ignored)


def instances(services: dict) -> dict[str, dict]:
    """The services that run the app itself (gunicorn): app, or app-1 and app-2."""
    return {name: service for name, service in services.items() if name.startswith("app")}


def seconds(duration: str) -> int:
    return int(duration.removesuffix("s"))


@pytest.mark.parametrize("database", DATABASES)
def test_the_compose_stack_starts_in_a_safe_order(cookies, database: str) -> None:
    project = bake_ok(cookies, {"database": database})
    compose = yaml.safe_load((project / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    migrate, apps = services["migrate"], instances(services)
    dependencies = ["redis", "postgres"] if database == "postgresql" else ["redis"]
    stages = parse((project / "Dockerfile").read_text(encoding="utf-8"))
    [image_check] = stage(stages, "runtime").of("HEALTHCHECK")

    for name in (*apps, *dependencies):
        assert services[name]["healthcheck"]["test"][0] == "CMD", name
        assert services[name]["restart"] == "unless-stopped", name
    for app in apps.values():
        assert app["healthcheck"]["test"] == ["CMD", *image_check.exec_form()]
        drain = int(app["environment"].get("GUNICORN_DRAIN_SECONDS", 0))
        assert seconds(app["stop_grace_period"]) > drain + GRACEFUL_TIMEOUT_SECONDS
        assert app["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"},
            **{name: {"condition": "service_healthy"} for name in dependencies},
        }
        assert migrate["image"] == app["image"] and migrate["environment"] == app["environment"]
        assert app["environment"]["SECRET_KEY"].startswith("${SECRET_KEY:?")
        assert app["environment"]["APP_ENV"] == "production"
    assert migrate["command"] == ["flask", "--app", "my_service", "db", "upgrade"]
    assert migrate["restart"] == "no" and migrate["healthcheck"] == {"disable": True}

    if database == "postgresql":
        assert set(services) == {"app-1", "app-2", "haproxy", "migrate", *dependencies}
        assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
        assert "${POSTGRES_PASSWORD:?" in apps["app-1"]["environment"]["DATABASE_URL"]
        # Two instances behind haproxy, which starts once both are healthy and forwards
        # to each on the port the image exposes; they believe that one proxy.
        balancer = services["haproxy"]
        assert balancer["depends_on"] == {name: {"condition": "service_healthy"} for name in apps}
        addresses = {
            balancer["environment"]["APP1_ADDRESS"],
            balancer["environment"]["APP2_ADDRESS"],
        }
        assert addresses == {f"{name}:8000" for name in apps}
        assert all(app["environment"]["TRUSTED_PROXY_HOPS"] == "1" for app in apps.values())
        assert "ports" not in apps["app-1"] and balancer["ports"] == ["${PORT:-8000}:8080"]
    else:
        # One replica on one volume, shared with the migration, holding the database file.
        [app] = apps.values()
        assert set(services) == {"app", "migrate", *dependencies}
        assert app["deploy"]["replicas"] == 1
        database_dir = str(
            Path(app["environment"]["DATABASE_URL"].removeprefix("sqlite:///")).parent
        )
        assert app["volumes"] == migrate["volumes"] == [f"data:{database_dir}"]
        assert not (project / "haproxy.cfg").exists()
