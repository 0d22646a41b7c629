"""The real gunicorn, with the project's own config and two workers, under many clients at
once: no lost update, no session cross-talk or stale write-back, async views that overlap,
workers that share the load, logs and metrics exact across workers, and the round trips
each route makes. Each property also runs against its broken variant, to show the test
sees the failure it guards against."""
