"""The hooks as plain functions: validation rules, injection safety, and post-gen shaping."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from combinations import ALL_COMBINATIONS
from hook_loading import TEMPLATE, default_answers, load_hook, render_hook

PROJECT_TEMPLATE = TEMPLATE / "{{cookiecutter.__project_dir}}"


@pytest.fixture(scope="module")
def pre_gen():
    return load_hook("pre_gen_project")


@pytest.fixture(scope="module")
def post_gen():
    return load_hook("post_gen_project")


def test_the_defaults_are_valid(pre_gen) -> None:
    assert pre_gen.validate(default_answers()) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("package_name", "flask"),
        ("package_name", "flask_migrate"),
        ("package_name", "asyncio"),
        ("package_name", "lambda"),
        ("package_name", "case"),
        ("package_name", "9lives"),
        ("package_name", ""),
        ("project_slug", "-leading"),
        ("project_slug", "UPPER"),
        ("project_name", "   "),
        ("project_name", "x" * 101),
        ("author_email", "@example.com"),
        ("worker_model", "eventlet"),
        ("database", "mysql"),
        ("async_sample", "yes"),
    ],
)
def test_each_rule_names_its_field(pre_gen, field: str, value) -> None:
    answers = {**default_answers(), field: value}
    errors = pre_gen.validate(answers)
    assert len(errors) == 1
    assert errors[0].startswith(f"{field}:")


def test_every_problem_is_reported_at_once(pre_gen) -> None:
    answers = {**default_answers(), "package_name": "flask", "author_email": "nobody"}
    assert len(pre_gen.validate(answers)) == 2


def test_an_unsupported_combination_is_refused_with_its_reason(pre_gen, monkeypatch) -> None:
    monkeypatch.setattr(
        pre_gen, "UNSUPPORTED", (({"worker_model": "gevent", "database": "sqlite"}, "why"),)
    )
    answers = {**default_answers(), "worker_model": "gevent", "database": "sqlite"}
    assert pre_gen.validate(answers) == ["worker_model=gevent, database=sqlite: not supported: why"]
    assert pre_gen.validate(default_answers()) == []


def test_every_combination_is_supported_today(pre_gen) -> None:
    assert pre_gen.UNSUPPORTED == ()
    for combination in ALL_COMBINATIONS:
        assert pre_gen.validate({**default_answers(), **combination}) == []


HOSTILE = [
    'Orders"); import os; os.system("touch pwned") #',
    "Back\\slash\\n and \\u0041",
    "{{ cookiecutter.package_name }} {% raw %}",
    'Quote\'s "double" `tick`',
    "Ünïcödé Çafé",
    "Rocket 🚀 service",
    "'''\"\"\"",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_answers_reach_the_hook_verbatim_and_run_nothing(tmp_path: Path, value: str) -> None:
    answers = {**default_answers(), "project_name": value, "description": value}
    rendered = render_hook("pre_gen_project", answers)
    script = tmp_path / "pre_gen_project.py"
    script.write_text(
        rendered.replace('if __name__ == "__main__":', 'if __name__ == "__never__":')
        + "\nprint(json.dumps([json.loads(ANSWERS_AS_JSON[k]) for k in ('project_name',)]))\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == [value]
    assert not (tmp_path / "pwned").exists()


def test_every_lock_file_is_used_and_every_combination_has_one(post_gen) -> None:
    locks = {path.name for path in (PROJECT_TEMPLATE / "locks").glob("*.lock")}
    wanted = {post_gen.lock_variant(combination) for combination in ALL_COMBINATIONS}
    assert wanted == locks


def test_files_of_unchosen_options_exist_in_the_template(post_gen) -> None:
    package = PROJECT_TEMPLATE / "src" / "{{cookiecutter.package_name}}"
    removable = set()
    for combination in ALL_COMBINATIONS:
        removable.update(post_gen.files_of_unchosen_options({**default_answers(), **combination}))
    assert removable
    for path in removable:
        template_path = Path(str(path).replace("src/my_service", str(package)))
        assert (PROJECT_TEMPLATE / template_path).exists(), path
    # gevent with PostgreSQL and the async sample keeps every file but the other models'
    # workers.
    everything = {**default_answers(), "worker_model": "gevent", "database": "postgresql"}
    other_models = {
        "balanced_threads.py",
        "bounded_threads.py",
        "bounded_sync.py",
        "test_thread_balance.py",
    }
    assert {path.name for path in post_gen.files_of_unchosen_options(everything)} == other_models


def test_post_gen_installs_the_lock_and_writes_the_env(post_gen, tmp_path: Path) -> None:
    (tmp_path / "locks").mkdir()
    name = post_gen.lock_variant(default_answers())
    (tmp_path / "locks" / name).write_text("lock", encoding="utf-8")
    (tmp_path / "locks" / "other.lock").write_text("other", encoding="utf-8")
    post_gen.install_lock(tmp_path, default_answers())
    post_gen.write_env(tmp_path, default_answers())
    assert (tmp_path / "uv.lock").read_text() == "lock"
    assert not (tmp_path / "locks").exists()
    assert "SECRET_KEY=" in (tmp_path / ".env").read_text()


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_post_gen_installs_the_compose_file_of_the_database(post_gen, tmp_path, database) -> None:
    for variant in ("sqlite", "postgresql"):
        (tmp_path / f"compose.{variant}.yaml").write_text(variant, encoding="utf-8")
    post_gen.install_compose(tmp_path, {**default_answers(), "database": database})
    assert sorted(path.name for path in tmp_path.iterdir()) == ["compose.yaml"]
    assert (tmp_path / "compose.yaml").read_text() == database
