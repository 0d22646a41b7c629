"""Server-side sessions that never write back a stale copy.

Flask-Session's stock save_session rewrites the whole session at the end of every request
when SESSION_REFRESH_EACH_REQUEST is on (Flask's default), modified or not. A slow request
that only read the session then writes its old copy back when it finishes: it erases a
write made meanwhile, revives a session that was logged out, and restores an id that
regenerate() had just retired. Here an unmodified session is never rewritten.

Round trips are part of the contract (tests/concurrency/test_redis_round_trips.py):
reading a session is one command, GETEX, which also pushes its expiry back; a write adds one
SET; a route marked @sessionless sends none. The cookie's own expiry must move too, but
re-sending it on every read would need a second command: whether the key still exists at
the end (a slow read must not hand back an id that a login or logout retired meanwhile). So
a second cookie, FRESH_COOKIE_SUFFIX, set beside the session cookie and living half as long,
says the session cookie is young; only once it has lapsed does a read check the key
(EXPIRE) and re-send both.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from cachelib.file import FileSystemCache
from flask import Flask, Request, Response, current_app, g, request
from flask.globals import request_ctx
from flask_session.base import ServerSideSession
from flask_session.cachelib import CacheLibSessionInterface
from flask_session.redis import RedisSessionInterface
from redis import Redis

from .redis_client import build_redis_client
from .settings import Settings

SESSIONLESS_ATTRIBUTE = "sessionless"
STORE_FAILED = "session_store_failed"
FRESH_COOKIE_SUFFIX = "_fresh"
# When this session id was first stored (a login always starts a new id): the absolute
# lifetime (SESSION_ABSOLUTE_LIFETIME_SECONDS) counts from here, however active it is.
BORN = "_born"


def sessionless(view):
    """Mark a view that never touches the session: no store round trip, no outage exposure."""
    setattr(view, SESSIONLESS_ATTRIBUTE, True)
    return view


def route_needs_session(app: Flask) -> bool:
    # Flask's adapter for this request is None when the host was refused, and that request
    # is answered with a 400 without a session.
    if request_ctx.url_adapter is None:
        return False
    request_ctx.match_request()  # once: the app's request context skips its own match later
    rule = request_ctx.request.url_rule
    if rule is None:
        return False  # 404, 405 and redirects are answered without a session
    view = app.view_functions.get(rule.endpoint)
    return not getattr(view, SESSIONLESS_ATTRIBUTE, False)


class FreshWritesOnly:
    """Mixin over a Flask-Session interface; see the module docstring for why."""

    def open_session(self, app: Flask, request: Request) -> ServerSideSession | None:
        if not route_needs_session(app):
            return None  # Flask substitutes a NullSession, which refuses writes loudly
        with self._store_failure_remembered():
            session = super().open_session(app, request)
            # dict.get: reading it here is not the view's use of the session (no Vary).
            if time.time() - dict.get(session, BORN, time.time()) > self.absolute_lifetime:
                self._delete_session(self._get_store_id(session.sid))  # ended: id and all
                session = self.session_class(
                    sid=self._generate_sid(self.sid_length), permanent=self.permanent
                )
        # Whether the store holds this id: a new visitor's generated one has nothing to delete.
        session.stored = bool(session)
        return session

    def regenerate(self, session: ServerSideSession) -> None:
        # Unlike the stock method this also acts on an empty session: a login must always
        # come out with an id nobody else has seen.
        if session.sid and getattr(session, "stored", True):
            with self._store_failure_remembered():
                self._delete_session(self._get_store_id(session.sid))
        session.sid = self._generate_sid(self.sid_length)
        session.stored = False
        session.pop(BORN, None)  # a new id: its lifetime starts again
        session.modified = True

    def save_session(
        self, app: Flask, session: ServerSideSession | None, response: Response
    ) -> None:
        if session is None or g.get(STORE_FAILED):
            # The store already failed in this request, which is being answered with a 503.
            # Flask saves the session again for that error response: asking a store that
            # is down a second time would only fail again, and log a traceback.
            return
        with self._store_failure_remembered():
            self._save(app, session, response)

    def _save(self, app: Flask, session: ServerSideSession, response: Response) -> None:
        # The marker goes first, the session cookie last: a client that keeps one
        # Set-Cookie per response (a dict of headers) keeps the last, the one that matters.
        if session.modified:
            if session and BORN not in session:
                session[BORN] = time.time()
            self._mark_cookie_fresh(app, session, response)
            super().save_session(app, session, response)
            return
        if session.accessed:
            response.vary.add("Cookie")
        if not session or self.get_cookie_name(app) + FRESH_COOKIE_SUFFIX in request.cookies:
            return
        lifetime = app.permanent_session_lifetime
        still_exists = self._refresh_expiry(self._get_store_id(session.sid), lifetime)
        if still_exists and self.should_set_cookie(app, session):
            self._mark_cookie_fresh(app, session, response)
            self._send_cookie(app, session, response)

    @contextlib.contextmanager
    def _store_failure_remembered(self) -> Iterator[None]:
        try:
            yield
        except Exception:
            g.setdefault(STORE_FAILED, True)
            raise

    def _refresh_expiry(self, store_id: str, lifetime: timedelta) -> bool:
        raise NotImplementedError

    def _cookie_attributes(self, app: Flask) -> dict:
        """What the session cookie and its freshness marker both carry."""
        return {
            "httponly": self.get_cookie_httponly(app),
            "domain": self.get_cookie_domain(app),
            "path": self.get_cookie_path(app),
            "secure": self.get_cookie_secure(app),
            "samesite": self.get_cookie_samesite(app),
        }

    def _mark_cookie_fresh(
        self, app: Flask, session: ServerSideSession, response: Response
    ) -> None:
        name = self.get_cookie_name(app) + FRESH_COOKIE_SUFFIX
        if not session:  # emptied: the session cookie was deleted, and so is this one
            response.delete_cookie(name, **self._cookie_attributes(app))
            return
        half_lifetime = int(app.permanent_session_lifetime.total_seconds()) // 2
        response.set_cookie(name, "1", max_age=half_lifetime, **self._cookie_attributes(app))

    def _send_cookie(self, app: Flask, session: ServerSideSession, response: Response) -> None:
        # The same cookie the stock save_session sets after a write; it is private there.
        response.set_cookie(
            key=self.get_cookie_name(app),
            value=session.sid,
            expires=self.get_expiration_time(app, session),
            **self._cookie_attributes(app),
        )
        response.vary.add("Cookie")


class RedisSessions(FreshWritesOnly, RedisSessionInterface):
    def _upsert_session(
        self, session_lifetime: timedelta, session: ServerSideSession, store_id: str
    ) -> None:
        # XX: a session that was in the store when this request began is written only if it
        # still is. One that was ended meanwhile (logout, logout everywhere, a password
        # change: user_sessions.py) stays ended when a slow request on it finishes.
        self.client.set(
            store_id,
            self.serializer.encode(session),
            ex=int(session_lifetime.total_seconds()),
            xx=session.stored,
        )

    def _retrieve_session_data(self, store_id: str) -> dict | None:
        # GETEX reads and pushes the expiry back in one command (Redis 6.2 or later).
        lifetime = current_app.permanent_session_lifetime
        data = self.client.getex(store_id, ex=int(lifetime.total_seconds()))
        return self.serializer.decode(data) if data else None

    def _refresh_expiry(self, store_id: str, lifetime: timedelta) -> bool:
        # EXPIRE answers 0 when the key is gone (logout, regenerate): then nothing is sent.
        return bool(self.client.expire(store_id, int(lifetime.total_seconds())))

    def ping(self) -> None:
        self.client.ping()


class EmbeddedSessions(FreshWritesOnly, CacheLibSessionInterface):
    """Development only: sessions in files under the instance folder, no server needed.

    The file cache cannot extend an expiry without rewriting the entry, so an unmodified
    session keeps the expiry of its last write here, and it cannot write only if an entry
    still exists, so a slow request may bring back a session ended meanwhile; production
    uses Redis.
    """

    def _refresh_expiry(self, store_id: str, lifetime: timedelta) -> bool:
        return bool(self.cache.has(store_id))

    def ping(self) -> None:
        if not self.cache.has("readiness-probe") and not self.cache.set("readiness-probe", 1):
            raise OSError("the embedded session store is not writable")


def session_redis(app: Flask) -> Redis | None:
    """The sessions' Redis client, which other shared state may use too; None when embedded."""
    interface = app.session_interface
    return interface.client if isinstance(interface, RedisSessions) else None


def init_sessions(app: Flask, settings: Settings) -> None:
    app.config.update(
        SESSION_PERMANENT=True,
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=settings.session_lifetime_seconds),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
    )
    common = {"key_prefix": settings.session_key_prefix, "permanent": True}
    if settings.redis_url:
        app.session_interface = RedisSessions(app, client=build_redis_client(settings), **common)
    else:
        cache_dir = Path(app.instance_path) / "sessions"
        app.logger.warning(
            "REDIS_URL is not set: sessions are kept in the embedded development store at %s",
            cache_dir,
        )
        app.session_interface = EmbeddedSessions(
            app, client=FileSystemCache(str(cache_dir), threshold=10000), **common
        )
    app.session_interface.absolute_lifetime = settings.session_absolute_lifetime_seconds
