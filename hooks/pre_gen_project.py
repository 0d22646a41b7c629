"""Checks every answer before the project is written; a failure names the field and says
what is allowed, and cookiecutter then removes the half-made directory.

Answers arrive through `tojson` twice: the rendered file holds only JSON string literals,
so quotes, backslashes or braces in an answer can neither break this file nor run code.
"""

import json
import keyword
import re
import sys

ANSWERS_AS_JSON = {
    "project_name": {{ cookiecutter.project_name | tojson | tojson }},
    "project_slug": {{ cookiecutter.project_slug | tojson | tojson }},
    "project_dir": {{ cookiecutter.__project_dir | tojson | tojson }},
    "package_name": {{ cookiecutter.package_name | tojson | tojson }},
    "description": {{ cookiecutter.description | tojson | tojson }},
    "author_name": {{ cookiecutter.author_name | tojson | tojson }},
    "author_email": {{ cookiecutter.author_email | tojson | tojson }},
    "worker_model": {{ cookiecutter.worker_model | tojson | tojson }},
    "database": {{ cookiecutter.database | tojson | tojson }},
    "async_sample": {{ cookiecutter.async_sample | tojson | tojson }},
}

WORKER_MODELS = ("gthread", "sync", "gevent")
DATABASES = ("sqlite", "postgresql")
# Combinations that cannot be made correct, with the reason shown to the user. Every
# combination of the prompts works today; an entry here must come with a test that bakes it.
UNSUPPORTED = ()
# Import names of the service's dependencies and tools: a package named like one of them
# would shadow it. The standard library is checked through sys.stdlib_module_names.
SHADOWED = frozenset(
    """
    alembic asgiref blinker cachelib click dotenv flask flask_migrate flask_session
    flask_sqlalchemy gevent greenlet gunicorn hatchling hypothesis itsdangerous jinja2 mako
    markupsafe msgspec prometheus_client psycopg psycopg_binary pytest pythonjsonlogger redis
    requests ruff sqlalchemy test tests trustme werkzeug zope
    """.split()
)
SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
PACKAGE = re.compile(r"[a-z_][a-z0-9_]*")
EMAIL = re.compile(r"[^@\s\"<>,;:]+@[^@\s\"<>,;:]+\.[^@\s\"<>,;:]+")
MAX_SLUG, MAX_PACKAGE, MAX_TEXT = 50, 30, 100


def _free_text(answers, field, required, limit=MAX_TEXT):
    value = answers[field]
    if not isinstance(value, str):
        return f"{field}: must be text"
    if required and not value.strip():
        return f"{field}: must not be empty"
    if len(value) > limit:
        return f"{field}: at most {limit} characters, got {len(value)}"
    if not value.isprintable():
        return f"{field}: must be one line without control characters"
    return None


def _slug(value, project_dir):
    if not SLUG.fullmatch(value or "") or len(value) > MAX_SLUG or project_dir != value:
        return (
            f"project_slug: {value!r} is not allowed; use lowercase letters, digits and single "
            f"hyphens, at most {MAX_SLUG} characters (e.g. orders-api)"
        )
    return None


def _package(value):
    if not PACKAGE.fullmatch(value or "") or len(value) > MAX_PACKAGE:
        return (
            f"package_name: {value!r} is not a valid package name; use lowercase letters, "
            f"digits and underscores, not starting with a digit, at most {MAX_PACKAGE} "
            "characters (e.g. orders_api)"
        )
    if keyword.iskeyword(value) or keyword.issoftkeyword(value):
        return f"package_name: {value!r} is a Python keyword; choose another name"
    if value in sys.stdlib_module_names or value in SHADOWED:
        return (
            f"package_name: {value!r} would shadow the module of the same name "
            "(standard library or a dependency); choose another name"
        )
    return None


def validate(answers):
    """Every problem with the answers, one message each, naming its field."""
    errors = [
        _free_text(answers, "project_name", required=True),
        _free_text(answers, "description", required=False, limit=200),
        _free_text(answers, "author_name", required=True),
        _slug(answers["project_slug"], answers.get("project_dir", answers["project_slug"])),
        _package(answers["package_name"]),
    ]
    email = answers["author_email"]
    if not isinstance(email, str) or not EMAIL.fullmatch(email):
        errors.append(f"author_email: {email!r} is not an email address (name@example.com)")
    if answers["worker_model"] not in WORKER_MODELS:
        errors.append(f"worker_model: must be one of {', '.join(WORKER_MODELS)}")
    if answers["database"] not in DATABASES:
        errors.append(f"database: must be one of {', '.join(DATABASES)}")
    if not isinstance(answers["async_sample"], bool):
        errors.append("async_sample: must be yes or no")
    for combination, reason in UNSUPPORTED:
        if all(answers.get(field) == value for field, value in combination.items()):
            chosen = ", ".join(f"{field}={value}" for field, value in combination.items())
            errors.append(f"{chosen}: not supported: {reason}")
    return [error for error in errors if error]


def main():
    answers = {field: json.loads(text) for field, text in ANSWERS_AS_JSON.items()}
    errors = validate(answers)
    for error in errors:
        print(f"ERROR: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
