"""Answers this project was generated with, as constants the code can read."""

from urllib.parse import unquote

WORKER_MODEL = "{{ cookiecutter.worker_model }}"
DATABASE = "{{ cookiecutter.database }}"
# Percent-encoded when the project was generated, so that any name, quotes and all, is a
# plain string literal here, on one line however long (pyproject.toml lets it be).
PROJECT_NAME_ENCODED = "{{ cookiecutter.project_name | urlencode }}"  # fmt: skip
PROJECT_NAME = unquote(PROJECT_NAME_ENCODED)
