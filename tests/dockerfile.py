"""Reads a Dockerfile into its stages and instructions: enough to run here what the image
build would run, since no Docker engine runs on the machines that test the template."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Instruction:
    keyword: str
    flags: dict[str, str]
    arguments: str

    def exec_form(self) -> list[str]:
        """The JSON array of an exec-form CMD or HEALTHCHECK CMD; a string form is refused."""
        text = self.arguments
        if self.keyword == "HEALTHCHECK":
            assert text.startswith("CMD "), f"HEALTHCHECK without CMD: {text}"
            text = text.removeprefix("CMD ").strip()
        command = json.loads(text)
        assert isinstance(command, list), f"{self.keyword} is not in exec form: {text}"
        return command

    def variables(self) -> dict[str, str]:
        """ENV's KEY=value pairs."""
        assert self.keyword == "ENV"
        return dict(pair.split("=", 1) for pair in shlex.split(self.arguments))

    def copy_paths(self) -> tuple[list[str], str]:
        """COPY's sources and destination."""
        assert self.keyword == "COPY"
        *sources, destination = shlex.split(self.arguments)
        return sources, destination


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def of(self, keyword: str) -> list[Instruction]:
        return [item for item in self.instructions if item.keyword == keyword]


def logical_lines(text: str) -> list[str]:
    """Lines with their continuations joined, without comments and blank lines."""
    lines, pending = [], ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    return lines


def instruction(line: str) -> Instruction:
    keyword, _, rest = line.partition(" ")
    flags = {}
    rest = rest.strip()
    while rest.startswith("--"):
        flag, _, rest = rest.partition(" ")
        name, _, value = flag[2:].partition("=")
        flags[name] = value
        rest = rest.strip()
    return Instruction(keyword.upper(), flags, rest)


def parse(text: str) -> list[Stage]:
    stages: list[Stage] = []
    for line in logical_lines(text):
        item = instruction(line)
        if item.keyword == "FROM":
            base, _, name = item.arguments.partition(" AS ")
            stages.append(Stage(base.strip(), name.strip() or None))
        else:
            assert stages, f"{item.keyword} before any FROM"
            stages[-1].instructions.append(item)
    return stages


def stage(stages: list[Stage], name: str) -> Stage:
    [found] = [candidate for candidate in stages if candidate.name == name]
    return found
