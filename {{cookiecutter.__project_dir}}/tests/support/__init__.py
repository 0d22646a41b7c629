"""Helpers the tests share, and no tests: the real gunicorn started with the project's own
config (live_server.py, instrumented_app.py), clients and steady load (load.py), Redis
servers and sentinels of a test's own (redis_process.py, redis_sentinels.py), a TCP proxy
that cuts a connection on demand (tcp_proxy.py), PostgreSQL's round trips counted
(postgres_messages.py), `flask db` runs as a deploy makes them (flask_commands.py,
migration_runs.py, schema_drift.py), the module-state scanner (module_state.py) and small
shared values (common.py)."""
