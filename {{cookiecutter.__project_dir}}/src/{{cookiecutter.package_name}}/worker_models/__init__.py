"""What differs by gunicorn worker model, and knows nothing of the service: whether gevent
runs and the standard library before its patches (gevent_state.py), async views on one event
loop per worker under gevent (async_bridge.py), and gthread's worker that leaves connections
to a worker with a thread free (balanced_threads.py, gthread projects only), and each
model's worker past capacity, refusing what would wait past the queue's budget
(bounded_threads.py, bounded_sync.py or bounded_gevent.py, with overload.py). The team does
not need to edit it; tests/concurrency/ and tests/faults/ prove each against its broken
variant.
"""
