"""Hostile and unusual answers: each either bakes a valid project or fails before writing
anything, with the field named when the hook refuses it. None runs injected code."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from combinations import bake_ok, run
from cookiecutter.exceptions import CookiecutterException, FailedHookException
from cookiecutter.main import cookiecutter
from jinja2 import TemplateError

TEMPLATE = Path(__file__).resolve().parents[1]
INJECTION_MARKER = "hostile-answer-ran-code"
INJECTION = f'"); import os; os.system("touch {INJECTION_MARKER}"); ("'

BAKES = [
    {"project_name": 'O\'Reilly "Orders" API'},
    {"project_name": "C:\\Services\\Orders\\"},
    {"project_name": "Curly {braces} }{ here"},
    {"project_name": "Ünïcödé Çafé Dienst"},
    {"project_name": "🚀 Rocket Orders ✨"},
    {"project_name": INJECTION},
    {"description": 'Quote " and backslash \\ and ünï 🚀 }{'},
    {"author_name": 'Jane "JJ" O\'Doe \\ Ünï'},
    # Cookiecutter renders values given with --no-input as templates: this one becomes
    # "49 Orders", whose slug starts with a digit, so the package is prefixed.
    {"project_name": "{{ 7 * 7 }} Orders"},
]
REFUSED_BY_THE_HOOK = [
    ({"project_name": "🚀✨"}, "project_slug"),
    ({"project_name": "{% raw %}"}, "project_slug"),
    ({"package_name": INJECTION}, "package_name"),
    ({"author_email": INJECTION}, "author_email"),
]
REFUSED_BY_COOKIECUTTER = [
    {"project_name": "a }} b {{ c"},
    {"project_name": "{{ cookiecutter.no_such_answer }}"},
]


@pytest.mark.parametrize("answers", BAKES, ids=lambda answers: repr(answers)[:40])
def test_a_hostile_answer_bakes_a_valid_project(cookies, answers, monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    project = bake_ok(cookies, answers)
    metadata = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    if "description" in answers:
        assert metadata["project"]["description"] == answers["description"]
    if "author_name" in answers:
        assert metadata["project"]["authors"][0]["name"] == answers["author_name"]
    package = (
        project
        / "src"
        / metadata["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"][0].removeprefix("src/")
    )
    assert package.name.isidentifier()
    run(["uv", "lock", "--check"], project)
    run(["ruff", "check", "."], project)
    run(["ruff", "format", "--check", "."], project)
    assert not list(tmp_path.rglob(INJECTION_MARKER))
    assert not list(project.rglob(INJECTION_MARKER))


@pytest.mark.parametrize(("answers", "field"), REFUSED_BY_THE_HOOK, ids=lambda value: str(value))
def test_a_hostile_answer_is_refused_by_name(tmp_path, capfd, monkeypatch, answers, field):
    monkeypatch.chdir(tmp_path)
    output = tmp_path / "out"
    with pytest.raises(FailedHookException):
        cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(output), extra_context=answers)
    assert f"ERROR: {field}:" in capfd.readouterr().err
    assert not output.exists() or list(output.iterdir()) == []
    assert not list(tmp_path.rglob(INJECTION_MARKER))


@pytest.mark.parametrize("answers", REFUSED_BY_COOKIECUTTER, ids=lambda value: str(value))
def test_a_template_syntax_answer_fails_before_anything_is_written(tmp_path, answers) -> None:
    output = tmp_path / "out"
    with pytest.raises((CookiecutterException, TemplateError)):
        cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(output), extra_context=answers)
    assert not output.exists() or list(output.iterdir()) == []


# The generated tests that read what the names become (the package, its metadata, the
# service's slug in gunicorn.conf.py and the database's application name, the migrations'
# package): the rest of the suite is name-blind, and runs for every combination in
# test_generated_suites.py.
NAME_BEARING_TESTS = [
    "tests/startup/test_module_state.py",
    "tests/startup/test_settings.py",
    "tests/startup/test_gunicorn_config.py",
    "tests/startup/test_migrations.py",
    "tests/api/test_session_api.py",
    "tests/api/test_metrics.py",
    "tests/concurrency/test_under_gunicorn.py",
]


@pytest.mark.generated_suite
def test_a_project_named_with_every_hazard_passes_its_linters_and_named_tests(cookies) -> None:
    hazards = 'Ünïcödé "Orders" {API} \\ 🚀 O\'Brien'
    project = bake_ok(
        cookies,
        {"project_name": hazards, "description": hazards, "author_name": hazards},
    )
    assert project.name == "unicode-orders-api-o-brien"
    run(["uv", "sync", "--locked", "--quiet"], project)
    run(["uv", "run", "--locked", "ruff", "check", "."], project)
    run(["uv", "run", "--locked", "ruff", "format", "--check", "."], project)
    output = run(
        ["uv", "run", "--locked", "pytest", "-q", "-p", "no:cacheprovider", *NAME_BEARING_TESTS],
        project,
    )
    summary = output.strip().splitlines()[-1]
    assert "passed" in summary and "skipped" not in summary, output


def test_a_long_name_derives_names_within_their_limits(cookies) -> None:
    name = "Customer Subscription Billing Reconciliation And Ledger Export Service"
    project = bake_ok(cookies, {"project_name": name})
    assert project.name == "customer-subscription-billing-reconciliation-and"
    assert (project / "src" / "customer_subscription_billing").is_dir()
