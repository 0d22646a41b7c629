"""The machinery every request runs through; the team does not need to edit it.

What is here keeps the service correct under many threads, processes, greenlets and
machines, and each guarantee has a test that fails when an edit breaks it (the generated
README's Layout section names them):

- settings.py, baked.py: the environment read once and checked for type; the bake's answers.
- extensions.py, database.py, stale_connections.py, connection_admission.py: the SQLAlchemy
  object the models use, its pool per worker model, pooled connections the server ended
  replaced before use, and the wait for one bounded past capacity.
- schema.py, migration_lock.py: the schema built by the migrations only, one run at a time.
- sessions.py, redis_client.py: server-side sessions that never write back a stale copy, on
  a Redis client that fails fast.
- errors.py, json_bodies.py: every error as JSON, validation errors included, a lost
  dependency as a 503; a declared JSON body required (415) and parseable (400).
- api_contract.py, api_docs.py: the OpenAPI document, built once; /docs without a CDN.
- text_types.py, preconditions.py, keyset_cursor.py, column_types.py: what a resource's
  schemas and queries use: text a database can store, ETag and If-Match (412, 428),
  opaque cursors for keyset pages, times that read back in UTC on both databases.
- request_id.py, security_headers.py, proxies.py: per-request id, headers on every answer,
  the client's own address behind trusted proxies.
- cross_origin.py: writes that a page of another origin sent, refused before their view.
- passwords.py, login_throttle.py: Argon2id hashes computed off gevent's loop, a few at a
  time, and failed logins counted exactly in Redis before the password is checked.
- user_sessions.py: login on a new id, logout, and every session of a user ended at once
  on every instance; login_required.
- log_config.py, metrics.py, health.py: one logging configuration, /metrics exact across
  workers, /healthz and /readyz.
- shared_cache.py: cached reads every worker and instance share, one computation per
  expiry, a delete seen at once, and computed without Redis rather than refused.
- service_flask.py: the app class, APIFlask (routes matched once, async views under gevent).

A team uses it from its own code (APIError, sessionless, db, the text types, preconditions,
shared_cache) and wires it in create_app; it imports nothing of the team's code.
"""
