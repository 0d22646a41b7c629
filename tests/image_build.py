"""Runs here what a baked project's image build runs, since no Docker engine runs on the
machines that test the template.

The build context is the bake filtered by its .dockerignore. The build stage's ENV, WORKDIR,
COPY and RUN are carried out in a directory standing for the image's root; then only what the
runtime stage copies is kept at the same path (the Dockerfile copies /app/.venv to the same
/app/.venv, which is what lets one directory stand for both stages), and the runtime stage's
own files are added. Not carried out: the runtime stage's RUN, which creates a user and /data
(done on this machine it would add a user to it), and the base images themselves (this
machine's Python 3.11 stands for python:3.11-slim).
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import string
import subprocess
from dataclasses import dataclass
from pathlib import Path

from dockerfile import Instruction, Stage, parse, stage

# Absolute paths of the image that the emulation maps into its root directory.
IMAGE_PATHS = re.compile(r"(?<![\w/.])/(app|data)\b")
BASE_PATH = "/usr/local/bin:/usr/bin:/bin"  # the python image's PATH, as far as it matters


@dataclass
class Image:
    root: Path
    workdir: Path
    env: dict[str, str]
    runtime: Stage

    def inside(self, value: str) -> str:
        return in_root(self.root, value)

    def command(self, keyword: str) -> list[str]:
        [item] = self.runtime.of(keyword)
        return item.exec_form()


def in_root(root: Path, value: str) -> str:
    """An image path, or a value that holds some (PATH, a URL), as seen from this machine."""
    return IMAGE_PATHS.sub(lambda match: f"{root}/{match.group(1)}", value)


def dockerignored(relative: Path, patterns: list[str]) -> bool:
    """Whether .dockerignore leaves this path (or a folder above it) out of the context."""
    for depth in range(1, len(relative.parts) + 1):
        candidate = "/".join(relative.parts[:depth])
        for pattern in patterns:
            if fnmatch.fnmatchcase(candidate, pattern):
                return True
            if pattern.startswith("**/") and fnmatch.fnmatchcase(candidate, pattern[3:]):
                return True
    return False


def build_context(project: Path, destination: Path) -> Path:
    lines = (project / ".dockerignore").read_text(encoding="utf-8").splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    for path in sorted(project.rglob("*")):
        relative = path.relative_to(project)
        if path.is_file() and not dockerignored(relative, patterns):
            (destination / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination / relative)
    return destination


def copy_into(context: Path, item: Instruction, workdir: Path) -> None:
    """COPY from the context: a folder's contents, as Docker copies them, or files."""
    sources, destination = item.copy_paths()
    target = workdir / destination
    for source in sources:
        path = context / source
        if path.is_dir():
            shutil.copytree(path, target, dirs_exist_ok=True)
            continue
        into_folder = destination.endswith("/") or len(sources) > 1
        copied = target / path.name if into_folder else target
        copied.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, copied)


def apply_env(item: Instruction, env: dict[str, str], root: Path) -> None:
    for name, value in item.variables().items():
        env[name] = in_root(root, string.Template(value).safe_substitute(env))


def emulate_build(project: Path, root: Path) -> Image:
    """Build the bake's image into `root`; return the runtime stage ready to run."""
    stages = parse((project / "Dockerfile").read_text(encoding="utf-8"))
    context = build_context(project, root / "context")
    host = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}

    env, workdir = dict(host), root
    for item in stage(stages, "build").instructions:
        if item.keyword == "ENV":
            apply_env(item, env, root)
        elif item.keyword == "WORKDIR":
            workdir = Path(in_root(root, item.arguments))
            workdir.mkdir(parents=True, exist_ok=True)
        elif item.keyword == "COPY" and item.flags.get("from") == "uv":
            continue  # the uv binary: this machine's uv, at the same version
        elif item.keyword == "COPY":
            copy_into(context, item, workdir)
        elif item.keyword == "RUN":
            subprocess.run(["bash", "-c", item.arguments], cwd=workdir, env=env, check=True,
                           capture_output=True)  # fmt: skip
        else:
            raise AssertionError(f"the emulation does not know {item.keyword} in the build stage")

    runtime = stage(stages, "runtime")
    kept = set()
    for item in runtime.of("COPY"):
        if item.flags.get("from") == "build":
            [source], destination = item.copy_paths()
            assert source == destination, "the emulation needs same-path copies from build"
            kept.add(Path(in_root(root, source)))
    app = Path(in_root(root, "/app"))
    for path in app.iterdir():
        if path not in kept:
            shutil.rmtree(path) if path.is_dir() else path.unlink()

    env = {"PATH": BASE_PATH, "HOME": host["HOME"], "LANG": "C.UTF-8"}
    workdir = root
    for item in runtime.instructions:
        if item.keyword == "ENV":
            apply_env(item, env, root)
        elif item.keyword == "WORKDIR":
            workdir = Path(in_root(root, item.arguments))
        elif item.keyword == "COPY" and "from" not in item.flags:
            copy_into(context, item, workdir)
    Path(in_root(root, "/data")).mkdir()  # the runtime stage's RUN would create it
    return Image(root, workdir, env, runtime)
