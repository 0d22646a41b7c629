"""One service baked per worker model, with the environment its own lock describes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cookiecutter.main import cookiecutter

from .processes import BenchmarkError, environment, run_checked

TEMPLATE = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class BakedService:
    model: str
    project: Path
    package: str

    def executable(self, name: str) -> Path:
        return self.project / ".venv" / "bin" / name

    @property
    def gunicorn_config(self) -> Path:
        return self.project / "gunicorn.conf.py"

    @property
    def wsgi_app(self) -> str:
        """The app its gunicorn.conf.py serves, as gunicorn names it."""
        return f"{self.package}.server.wsgi:app"

    @property
    def worker_class(self) -> str:
        """As its gunicorn.conf.py names it: each model is served by a class of the
        service's."""
        classes = {
            "gthread": "bounded_threads.BoundedThreadWorker",
            "sync": "bounded_sync.BoundedSyncWorker",
            "gevent": "bounded_gevent.BoundedGeventWorker",
        }
        return f"{self.package}.worker_models.{classes[self.model]}"


def bake_service(model: str, output_dir: Path, template: Path = TEMPLATE) -> BakedService:
    project = Path(
        cookiecutter(
            str(template),
            no_input=True,
            output_dir=str(output_dir),
            extra_context={
                "project_name": f"Bench {model.title()}",
                "worker_model": model,
                "database": "postgresql",
                "async_sample": True,
            },
        )
    )
    packages = [path.name for path in (project / "src").iterdir() if path.is_dir()]
    if len(packages) != 1:
        raise BenchmarkError(f"expected one package under {project / 'src'}, found {packages}")
    return BakedService(model=model, project=project, package=packages[0])


def install_environment(service: BakedService) -> None:
    # The project's own lock: the benchmark measures what a new service would run. The bare
    # and naive apps run in this environment too, which holds everything they import.
    run_checked(
        ["uv", "sync", "--locked", "--quiet"], cwd=service.project, env=environment(), timeout=600
    )


def bake_all(models: Sequence[str], output_dir: Path) -> list[BakedService]:
    services = []
    for model in models:
        print(f"baking and syncing the {model} service ...", flush=True)
        service = bake_service(model, output_dir)
        install_environment(service)
        services.append(service)
    return services
