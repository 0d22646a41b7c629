"""The API of the mix scenario, written the way Flask tutorials show it.

The comparison the "naive mix" row makes: what the service does differently, against the
code most Flask services start from.
- Stock Flask-Session opens the session on every route, /healthz and the counter included,
  and with SESSION_REFRESH_EACH_REQUEST left at its default it writes the whole session back
  to Redis at the end of every request that has one. The service opens it only for routes
  that use it, and of an unchanged session pushes back only the expiry.
- A login looks the account up through the ORM (the service's table, whose users the
  benchmark signed up through the service) and checks the password against its Argon2id
  hash in the worker itself: the hash's own cost, as in the service, but without its
  throttle, its bound on hashes at once, or gevent's thread pool.
- The counter is read, incremented in Python and written back through the ORM: several round
  trips, and updates lost under concurrency (the service does one atomic upsert). A counter
  that does not exist yet is created by whichever request gets there first, and two at once
  collide on the primary key; the benchmark runs this app after the service's mix, which
  has created the counter.
Served with the service's gunicorn settings (variant.conf.py), on the same Redis and the
same database, whose tables the service's migrations made; the benchmark's environment
supplies SECRET_KEY, REDIS_URL, DATABASE_URL and SESSION_KEY_PREFIX.
"""

import os

import redis
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from flask import Flask, request, session
from flask_session import Session
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
app.config["SESSION_TYPE"] = "redis"
app.config["SESSION_REDIS"] = redis.from_url(os.environ["REDIS_URL"])
app.config["SESSION_KEY_PREFIX"] = os.environ["SESSION_KEY_PREFIX"]
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]

Session(app)
db = SQLAlchemy(app)
passwords = PasswordHasher()


class Counter(db.Model):
    __tablename__ = "counter"  # the service's table

    name = db.Column(db.String(64), primary_key=True)
    value = db.Column(db.BigInteger, nullable=False)


class Account(db.Model):
    __tablename__ = "account"  # the service's table

    id = db.Column(db.BigInteger, primary_key=True)
    username = db.Column(db.String(64), nullable=False, unique=True)
    password_hash = db.Column(db.String(255), nullable=False)


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.post("/api/session/login")
def login():
    body = request.get_json()
    account = Account.query.filter_by(username=body["username"].lower()).first()
    try:
        if account is None:
            raise VerificationError
        passwords.verify(account.password_hash, body["password"])
    except VerificationError:
        return {"error": {"code": "invalid_credentials"}}, 401
    session.clear()
    session["username"] = account.username
    return {"username": account.username}


@app.get("/api/session")
def show_session():
    return {"username": session.get("username"), "items": session.get("items", [])}


@app.post("/api/session/items")
def add_item():
    items = session.get("items", [])
    items.append(request.get_json()["item"])
    session["items"] = items
    return {"items": items}, 201


@app.post("/api/session/logout")
def logout():
    session.clear()
    return "", 204


@app.post("/api/counters/<name>")
def increment_counter(name):
    counter = db.session.get(Counter, name)
    if counter is None:
        counter = Counter(name=name, value=1)
        db.session.add(counter)
    else:
        counter.value += 1
    db.session.commit()
    return {"name": counter.name, "value": counter.value}
