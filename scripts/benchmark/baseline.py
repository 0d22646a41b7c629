"""The service as an earlier commit of this template made it: the yardstick for a change.

`--baseline REF` bakes the template as it was at REF (from git, without touching the work
tree) with the same answers, and its mix takes turns with the current service's, so that
what a change costs is measured in one run, on one machine, in alternating rounds.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

from .baking import TEMPLATE, BakedService, bake_service, install_environment
from .processes import BenchmarkError


def template_at(ref: str, workdir: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(TEMPLATE), "archive", "--format=tar", ref],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        raise BenchmarkError(f"git archive {ref}: {archive.stderr.decode().strip()}")
    destination = workdir / "baseline-template"
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(destination, filter="data")
    return destination


def bake_baselines(models: list[str] | tuple[str, ...], ref: str, workdir: Path) -> dict:
    template = template_at(ref, workdir)
    services: dict[str, BakedService] = {}
    for model in models:
        print(f"baking and syncing the {model} service at {ref} ...", flush=True)
        service = bake_service(model, workdir / "baseline", template)
        install_environment(service)
        services[model] = service
    return services
