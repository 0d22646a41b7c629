"""The service's tests, grouped by what they prove: api/ (the routes in-process; a team's
own route tests go here), startup/, concurrency/, faults/ and many_instances/ (the real
gunicorn), with their helpers in support/ and the fixtures every group shares in
conftest.py. Every test runs against real Redis and the real database."""
