"""What differs by gunicorn worker model, and knows nothing of the service: whether gevent
runs and the standard library before its patches (gevent_state.py), async views on one event
loop per worker under gevent (async_bridge.py), and gthread's worker that leaves connections
to a worker with a thread free (balanced_threads.py, gthread projects only). The team does not
need to edit it; tests/concurrency/ proves each against its broken variant.
"""
