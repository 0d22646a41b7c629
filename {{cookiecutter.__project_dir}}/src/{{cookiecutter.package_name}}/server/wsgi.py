"""The WSGI entry point for gunicorn: `app`, built for production unless APP_ENV says else."""

import os
import sys

from .. import create_app
from ..machinery.settings import ConfigError

try:
    app = create_app({"APP_ENV": os.environ.get("APP_ENV", "production")})
except ConfigError as error:
    # One line naming the variable, not a traceback, and a non-zero exit.
    sys.exit(f"configuration error: {error}")
