"""What only gunicorn loads, by name from gunicorn.conf.py: the WSGI entry point (wsgi.py)
and gunicorn's logger and its JSON answer to requests it refuses itself
(gunicorn_integration.py). Nothing a request runs through in `flask run` or the tests' own
app lives here. The team does not need to edit it; settings go in gunicorn.conf.py.
"""
