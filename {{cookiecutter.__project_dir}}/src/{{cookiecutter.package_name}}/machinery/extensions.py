"""Extension objects, bound to an app in create_app; they hold no request state."""

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    # Every constraint gets a predictable name: migrations refer to constraints by name, and
    # SQLite can alter a table only in batch mode, which fails on an unnamed constraint.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)
# Relative to the working directory, as Flask-Migrate expects: the project root, where
# gunicorn reads gunicorn.conf.py too.
migrate = Migrate(directory="migrations")


def single_statement() -> Connection:
    """A connection of the pool's for one statement, outside any transaction (autocommit).

    One statement is atomic by itself: a transaction would add a BEGIN and a COMMIT (or
    ROLLBACK), two more round trips to the database than the statement's one."""
    return db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
