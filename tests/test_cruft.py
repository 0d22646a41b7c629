"""Teams keep their services in step with the template through cruft: creation runs the
hooks (cruft skips only pre_prompt, which this template does not use), `cruft check` accepts
the result, `cruft update` merges a later template change three-way into a service the team
has edited, and changing an answer later gives exactly what a fresh bake would."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from combinations import DATABASES, run

TEMPLATE = Path(__file__).resolve().parents[1]
PROJECT_DIR = TEMPLATE / "{{cookiecutter.__project_dir}}"
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Template Tests",
    "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "Template Tests",
    "GIT_COMMITTER_EMAIL": "tests@example.com",
}
# What the template's next commit changes: a line in a file the team also edits, and a file
# the service does not have yet.
TEMPLATE_README_ANCHOR = "## Two commands\n"
TEMPLATE_README_LINE = "A line the template added after the service was made.\n"
NEW_TEMPLATE_FILE = "docs/on-call.md"
# What the team changed in its service meanwhile.
TEAM_README_SECTION = "\n## Our runbook\n\nPage the on-call engineer first.\n"
TEAM_CODE_EDIT = ('pattern=r"^[a-z0-9_-]{1,64}$"',
                  'pattern=r"^[a-z0-9_-]{1,32}$"')  # fmt: skip


def git(cwd: Path, *args: str) -> str:
    return run(["git", *args], cwd, **GIT_IDENTITY)


def commit_everything(cwd: Path, message: str) -> None:
    git(cwd, "add", "--all")
    git(cwd, "commit", "--quiet", "--message", message)


def copy_work_tree(destination: Path) -> None:
    """This template's files as they are in the work tree, committed or not."""
    listed = git(TEMPLATE, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
    for name in filter(None, listed.split("\0")):
        source = TEMPLATE / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            (destination / name).write_bytes(source.read_bytes())


def template_repository(destination: Path) -> Path:
    """A git repository holding this template as it is in the work tree, to change later."""
    copy_work_tree(destination)
    git(destination, "init", "--quiet", "--initial-branch", "main")
    commit_everything(destination, "The template as tested")
    return destination


def template_repository_at(destination: Path, commit: str) -> Path:
    """A git repository holding this template as it was at an earlier commit of its own."""
    destination.mkdir()
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit], cwd=TEMPLATE, capture_output=True
    )
    assert archive.returncode == 0, (
        f"this test needs the template's git history (a full clone): {archive.stderr.decode()}"
    )
    subprocess.run(["tar", "-x", "-C", str(destination)], input=archive.stdout, check=True)
    git(destination, "init", "--quiet", "--initial-branch", "main")
    commit_everything(destination, f"The template at {commit[:12]}")
    return destination


def cruft_create(template: Path, output: Path, answers: dict) -> Path:
    output.mkdir(parents=True)
    run(
        ["cruft", "create", str(template), "--no-input", "--output-dir", str(output),
         "--extra-context", json.dumps(answers)],
        output,
    )  # fmt: skip
    [project] = output.iterdir()
    return project


def service_under_git(template: Path, output: Path, answers: dict) -> Path:
    project = cruft_create(template, output, answers)
    git(project, "init", "--quiet", "--initial-branch", "main")
    commit_everything(project, "Generated")
    return project


def cruft_update(project: Path, *options: str) -> subprocess.CompletedProcess:
    """`cruft update -y`, which exits 0 even when it leaves conflicts: the caller looks."""
    result = subprocess.run(
        ["cruft", "update", "-y", *options], cwd=project, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def assert_merged_cleanly(project: Path, result: subprocess.CompletedProcess) -> None:
    output = result.stdout + result.stderr
    assert git(project, "ls-files", "--unmerged") == "", output
    assert list(project.rglob("*.rej")) == [], output
    assert "conflict" not in output.lower() and "Retrying" not in output, output


def files_of(project: Path) -> dict[str, bytes]:
    """Every file of a service but its git metadata and its random local secret."""
    return {
        str(path.relative_to(project)): path.read_bytes()
        for path in sorted(project.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(project).parts
        and path.name != ".env"
    }  # fmt: skip


def test_cruft_creates_a_project_it_then_checks_clean(tmp_path: Path) -> None:
    context = {"project_name": "Cruft Made", "worker_model": "gevent", "database": "postgresql"}
    project = cruft_create(TEMPLATE, tmp_path / "out", context)
    assert project.name == "cruft-made"
    recorded = json.loads((project / ".cruft.json").read_text())["context"]["cookiecutter"]
    assert recorded["worker_model"] == "gevent"
    assert (project / "uv.lock").exists() and not (project / "locks").exists()
    assert "SECRET_KEY=" in (project / ".env").read_text()
    run(["cruft", "check"], project)


@pytest.mark.parametrize("database", DATABASES)
def test_cruft_update_merges_a_template_change_into_an_edited_service(
    tmp_path: Path, database: str
) -> None:
    template = template_repository(tmp_path / "template")
    answers = {"project_name": "Kept Up", "database": database}
    project = service_under_git(template, tmp_path / "services", answers)
    local_env = (project / ".env").read_bytes()

    readme = project / "README.md"
    readme.write_text(readme.read_text() + TEAM_README_SECTION)
    counters_api = project / "src" / "kept_up" / "api" / "counters_api.py"
    assert TEAM_CODE_EDIT[0] in counters_api.read_text()
    counters_api.write_text(counters_api.read_text().replace(*TEAM_CODE_EDIT))
    commit_everything(project, "The team's own changes")

    template_readme = template / PROJECT_DIR.name / "README.md"
    text = template_readme.read_text()
    assert TEMPLATE_README_ANCHOR in text
    template_readme.write_text(
        text.replace(TEMPLATE_README_ANCHOR, TEMPLATE_README_ANCHOR + TEMPLATE_README_LINE, 1)
    )
    new_file = template / PROJECT_DIR.name / NEW_TEMPLATE_FILE
    new_file.parent.mkdir()
    new_file.write_text("# On call for {{ cookiecutter.project_name }}\n")
    commit_everything(template, "A later template change")

    assert_merged_cleanly(project, cruft_update(project))
    merged = readme.read_text()
    assert TEMPLATE_README_LINE in merged and merged.endswith(TEAM_README_SECTION)
    assert TEAM_CODE_EDIT[1] in counters_api.read_text()
    assert (project / NEW_TEMPLATE_FILE).read_text() == "# On call for Kept Up\n"
    assert (project / ".env").read_bytes() == local_env
    run(["cruft", "check"], project)


@pytest.mark.parametrize("database", DATABASES)
def test_changing_an_answer_gives_exactly_what_a_fresh_bake_would(
    tmp_path: Path, database: str
) -> None:
    template = template_repository(tmp_path / "template")
    answers = {"project_name": "Switched", "database": database, "worker_model": "gthread"}
    project = service_under_git(template, tmp_path / "services", answers)
    local_env = (project / ".env").read_bytes()

    result = cruft_update(project, "--variables-to-update", json.dumps({"worker_model": "gevent"}))
    assert_merged_cleanly(project, result)
    fresh = cruft_create(template, tmp_path / "fresh", {**answers, "worker_model": "gevent"})

    updated, expected = files_of(project), files_of(fresh)
    assert sorted(updated) == sorted(expected)
    differing = [name for name in expected if updated[name] != expected[name]]
    assert differing == []
    assert (project / ".env").read_bytes() == local_env
    run(["cruft", "check"], project)


# The template's last commit before its machinery left the package's top level for
# machinery/, server/ and worker_models/, and the tests' helpers went to tests/support/.
BEFORE_THE_LAYOUT_MOVE = "bf8dbf44c486893d0bc43c406f08a91fbe42d961"
MOVE_SECTION = "### Across the layout move"
TEAM_ROUTE = '''"""The team's own route, written against the layout before the move."""

from flask import Blueprint

from ..errors import APIError
from ..sessions import sessionless

blueprint = Blueprint("orders_api", __name__, url_prefix="/api/orders")


@blueprint.get("/<int:number>")
@sessionless
def show(number: int):
    if number > 10:
        raise APIError(404, "not_found", "No such order")
    return {"number": number}
'''
TEAM_TEST = '''"""The team's own test, beside the template's, before the move."""

from .support import SESSION_COOKIE


def test_an_order_is_shown(client) -> None:
    assert client.get("/api/orders/3").get_json() == {"number": 3}
    assert client.get("/api/orders/11").status_code == 404
    assert SESSION_COOKIE == "session"
'''
TEAM_SETTINGS_EDIT = ('"SESSION_LIFETIME_SECONDS", 86400', '"SESSION_LIFETIME_SECONDS", 43200')


def documented_import_rewrite(project: Path) -> str:
    """The commands the service's own README gives for its own files after the move, but
    the last line (the whole suite), which the test replaces by the part that matters."""
    readme = (project / "README.md").read_text()
    section = readme[readme.index(MOVE_SECTION) :]
    block = section[section.index("```sh\n") + len("```sh\n") :]
    lines = block[: block.index("```")].splitlines()
    assert lines[-1] == "uv run ruff check --fix . && uv run pytest", lines[-1]
    return "\n".join(["set -euo pipefail", *lines[:-1]])


def pytest_in(project: Path, *paths: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["uv", "run", "--locked", "--quiet", "pytest", "-q", "-p", "no:cacheprovider", *paths],
        cwd=project, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def test_cruft_update_carries_an_edited_service_across_the_layout_move(tmp_path: Path) -> None:
    template = template_repository_at(tmp_path / "template", BEFORE_THE_LAYOUT_MOVE)
    project = service_under_git(template, tmp_path / "services", {"project_name": "Kept Up"})
    package = project / "src" / "kept_up"
    old_settings = package / "settings.py"
    assert old_settings.exists() and not (package / "machinery").exists()
    old_settings.write_text(old_settings.read_text().replace(*TEAM_SETTINGS_EDIT))
    (package / "api" / "orders_api.py").write_text(TEAM_ROUTE)
    (project / "tests" / "test_orders.py").write_text(TEAM_TEST)
    commit_everything(project, "The team's own changes")

    for name in git(template, "ls-files", "-z").split("\0"):
        if name:
            (template / name).unlink()
    copy_work_tree(template)
    commit_everything(template, "The layout move, and whatever came after it")

    # What the team sees: a clean three-way merge. Its edit to a moved file follows the
    # file to its new place; every file it did not touch is exactly the new template's.
    assert_merged_cleanly(project, cruft_update(project))
    assert not old_settings.exists()
    assert TEAM_SETTINGS_EDIT[1] in (package / "machinery" / "settings.py").read_text()
    fresh = cruft_create(template, tmp_path / "fresh", {"project_name": "Kept Up"})
    updated, expected = files_of(project), files_of(fresh)
    team_files = {"src/kept_up/api/orders_api.py", "tests/test_orders.py"}
    assert sorted(set(updated) - team_files) == sorted(expected)
    differing = [name for name in expected if updated[name] != expected[name]]
    assert differing == ["src/kept_up/machinery/settings.py"]

    # What it must do: its own files still import the old places, and fail to load...
    commit_everything(project, "The template's update")
    run(["uv", "sync", "--locked", "--quiet"], project)
    before = pytest_in(project, "tests/test_orders.py")
    assert before.returncode != 0 and "ImportError" in before.stdout, before.stdout
    # ...until it runs the rewrite its README gives; then its own tests pass beside the
    # template's (the generated suites run the rest for every combination).
    run(["bash", "-c", documented_import_rewrite(project)], project)
    assert git(project, "diff", "--name-only").split() == sorted(team_files)
    run(["uv", "run", "--locked", "ruff", "check", "."], project)
    after = pytest_in(project, "tests/test_orders.py", "tests/api/test_session_api.py",
                      "tests/startup/test_module_state.py")  # fmt: skip
    assert after.returncode == 0 and "passed" in after.stdout, after.stdout + after.stderr
