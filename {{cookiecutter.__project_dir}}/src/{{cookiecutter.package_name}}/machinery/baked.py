"""Answers this project was generated with, as constants the code can read."""

WORKER_MODEL = "{{ cookiecutter.worker_model }}"
DATABASE = "{{ cookiecutter.database }}"
