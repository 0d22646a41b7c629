"""The service with a model change that no migration describes yet: what a developer has
between editing a model and running `flask db migrate`. Loaded only by `flask --app`."""

from sqlalchemy import Column, String, UniqueConstraint

from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.models import Counter

# A new column with a unique constraint on an existing table: SQLite can add that only by
# rebuilding the table in batch mode, which needs every constraint to have a name.
Counter.__table__.append_column(Column("label", String(32), nullable=True))
Counter.__table__.append_constraint(UniqueConstraint("label"))

app = create_app()
