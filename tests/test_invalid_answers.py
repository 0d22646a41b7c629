"""Invalid answers fail the bake in the pre-gen hook, name the field, and leave nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parents[1]

INVALID = [
    ({"package_name": "flask"}, "package_name"),
    ({"package_name": "redis"}, "package_name"),
    ({"package_name": "test"}, "package_name"),
    ({"package_name": "json"}, "package_name"),
    ({"package_name": "threading"}, "package_name"),
    ({"package_name": "class"}, "package_name"),
    ({"package_name": "match"}, "package_name"),
    ({"package_name": "1service"}, "package_name"),
    ({"package_name": "has-dash"}, "package_name"),
    ({"package_name": "Upper"}, "package_name"),
    ({"package_name": "x" * 31}, "package_name"),
    ({"project_slug": "Has Spaces"}, "project_slug"),
    ({"project_slug": "a/b"}, "project_slug"),
    ({"project_slug": "../escape"}, "project_slug"),
    ({"project_slug": "."}, "project_slug"),
    ({"project_slug": "double--hyphen"}, "project_slug"),
    ({"project_name": ""}, "project_name"),
    ({"project_name": "🚀✨"}, "project_slug"),
    ({"project_name": "tab\there"}, "project_name"),
    ({"description": "two\nlines"}, "description"),
    ({"author_email": "nobody"}, "author_email"),
    ({"author_email": "a@b"}, "author_email"),
    ({"author_email": "x@y.z, evil@example.com"}, "author_email"),
    ({"author_name": ""}, "author_name"),
]


def bake_in(output: Path, answers: dict) -> None:
    cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(output), extra_context=answers)


@pytest.mark.parametrize(("answers", "field"), INVALID, ids=[repr(a) for a, _ in INVALID])
def test_an_invalid_answer_fails_naming_the_field(tmp_path, capfd, answers, field) -> None:
    output = tmp_path / "out"
    output.mkdir()
    with pytest.raises(FailedHookException):
        bake_in(output, answers)
    errors = capfd.readouterr().err
    assert f"ERROR: {field}:" in errors, errors
    assert list(output.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.parametrize(
    "answers", [{"worker_model": "eventlet"}, {"database": "mysql"}, {"async_sample": "maybe"}]
)
def test_a_value_outside_the_choices_is_refused_before_anything_is_written(
    tmp_path, answers
) -> None:
    field = next(iter(answers))
    with pytest.raises(ValueError, match=field):
        bake_in(tmp_path, answers)
    assert list(tmp_path.iterdir()) == []
