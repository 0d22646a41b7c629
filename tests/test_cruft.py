"""Teams keep their services in step with the template through cruft: creation runs the
hooks (cruft skips only pre_prompt, which this template does not use) and `cruft check`
accepts the result."""

from __future__ import annotations

import json
from pathlib import Path

from combinations import run

TEMPLATE = Path(__file__).resolve().parents[1]


def test_cruft_creates_a_project_it_then_checks_clean(tmp_path: Path) -> None:
    context = {"project_name": "Cruft Made", "worker_model": "gevent", "database": "postgresql"}
    run(
        ["cruft", "create", str(TEMPLATE), "--no-input", "--output-dir", str(tmp_path),
         "--extra-context", json.dumps(context)],
        tmp_path,
    )  # fmt: skip
    project = tmp_path / "cruft-made"
    recorded = json.loads((project / ".cruft.json").read_text())["context"]["cookiecutter"]
    assert recorded["worker_model"] == "gevent"
    assert (project / "uv.lock").exists() and not (project / "locks").exists()
    assert "SECRET_KEY=" in (project / ".env").read_text()
    run(["cruft", "check"], project)
