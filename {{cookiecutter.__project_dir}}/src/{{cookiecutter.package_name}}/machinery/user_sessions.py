"""Who is logged in, and every session of a user ended at once, on every instance.

Flask-Session keeps no index of a user's sessions. Here each login adds its session id to a
set per user in the sessions' store ({SESSION_KEY_PREFIX}user:{name}), and ending them all
deletes every session the set names, in one Redis script: every instance finds them gone
at its next read. An authenticated request sends nothing more for it, since a session
that was ended is simply not in the store, and a request still in flight on it cannot write
it back (sessions.py writes a stored session only while it still exists).

The ids in a set outlive neither the sessions' absolute lifetime nor the set: the set
expires with the newest login's absolute lifetime. The script names keys it was not given
(the sessions'), which a single Redis and a Sentinel group allow and Redis Cluster does not.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import current_app, session

from .errors import APIError
from .sessions import session_redis

USERNAME = "username"
# KEYS[1]: the user's set; ARGV[1]: the session keys' prefix.
_END_SESSIONS = """
for _, sid in ipairs(redis.call('SMEMBERS', KEYS[1])) do
    redis.call('DEL', ARGV[1] .. sid)
end
return redis.call('DEL', KEYS[1])
"""


def current_username() -> str | None:
    return session.get(USERNAME)


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """A route for logged-in users only: anyone else gets a 401 `login_required`."""

    @functools.wraps(view)
    def logged_in_only(*args: Any, **kwargs: Any) -> Any:
        if current_username() is None:
            raise APIError(401, "login_required", "Log in first")
        return view(*args, **kwargs)

    return logged_in_only


def _index_key(username: str) -> str:
    return f"{current_app.session_interface.key_prefix}user:{username}"


def start(username: str) -> None:
    """Log `username` in on a new session id (an id seen before login is worth nothing).
    Logged in again as the same user, the session keeps what it holds."""
    interface = current_app.session_interface
    previous = current_username()
    interface.regenerate(session)
    if previous != username:
        session.clear()  # what the session held belonged to someone else
    session[USERNAME] = username
    client = session_redis(current_app)
    if client is None:
        return  # the embedded development store keeps no index
    with client.pipeline(transaction=False) as pipeline:
        pipeline.sadd(_index_key(username), session.sid)
        pipeline.expire(_index_key(username), interface.absolute_lifetime)
        pipeline.execute()


def end() -> None:
    """Log this session out: its key is deleted when the response is saved."""
    username = current_username()
    client = session_redis(current_app)
    if username is not None and client is not None:
        client.srem(_index_key(username), session.sid)
    session.clear()


def end_all(username: str) -> None:
    """End every session of `username` on every instance, this request's own included."""
    client = session_redis(current_app)
    if client is not None:
        prefix = current_app.session_interface.key_prefix
        client.eval(_END_SESSIONS, 1, _index_key(username), prefix)
