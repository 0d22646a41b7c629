"""What is settled before the first request: settings and the Redis URL, gunicorn.conf.py's
sizing, the schema and its migrations, and no mutable module globals."""
