"""The machinery every request runs through; the team does not need to edit it.

What is here keeps the service correct under many threads, processes, greenlets and
machines, and each guarantee has a test that fails when an edit breaks it (the generated
README's Layout section names them):

- settings.py, baked.py: the environment read once and checked for type; the bake's answers.
- extensions.py, database.py, stale_connections.py: the SQLAlchemy object the models use,
  its pool per worker model, and pooled connections the server ended replaced before use.
- schema.py, migration_lock.py: the schema built by the migrations only, one run at a time.
- sessions.py, redis_client.py: server-side sessions that never write back a stale copy, on
  a Redis client that fails fast.
- errors.py, validation.py: every error as JSON, a lost dependency as a 503; input checks.
- request_id.py, security_headers.py, proxies.py: per-request id, headers on every answer,
  the client's own address behind trusted proxies.
- log_config.py, metrics.py, health.py: one logging configuration, /metrics exact across
  workers, /healthz and /readyz.
- service_flask.py: the app class (routes matched once, async views under gevent).

A team uses it from its own code (APIError, sessionless, db) and wires it in create_app;
it imports nothing of the team's code.
"""
