"""The notes resource, in-process: its contract, one request at a time.

What two clients at once do to it is proven under gunicorn, in
tests/concurrency/test_notes_under_gunicorn.py.
"""

from __future__ import annotations

import uuid

import pytest
from flask import Flask

from ..support.common import log_in
from .test_errors import assert_json_error


def logged_in_client(app: Flask):
    client = app.test_client()
    assert log_in(client.post, f"author-{uuid.uuid4().hex[:12]}").status_code == 200
    return client


@pytest.fixture
def client(app: Flask):
    """A client logged in as a user of this test's own: notes are their author's alone."""
    return logged_in_client(app)


def create(client, title: str = "A title", body: str = "Some text"):
    response = client.post("/api/notes", json={"title": title, "body": body})
    assert response.status_code == 201, response.get_json()
    return response


def test_a_created_note_has_its_location_etag_and_fields(client) -> None:
    response = create(client)
    note = response.get_json()
    assert set(note) == {"id", "title", "body", "version", "created_at", "updated_at"}
    assert (note["title"], note["body"], note["version"]) == ("A title", "Some text", 1)
    assert response.headers["Location"] == f"/api/notes/{note['id']}"
    assert response.headers["ETag"] == '"1"'
    assert note["created_at"] == note["updated_at"]
    assert note["created_at"].endswith("Z")  # UTC, on SQLite too

    shown = client.get(response.headers["Location"])
    assert shown.status_code == 200
    assert shown.get_json() == note
    assert shown.headers["ETag"] == '"1"'


def test_a_body_is_optional_and_a_title_is_not(client) -> None:
    response = client.post("/api/notes", json={"title": "Only a title"})
    assert response.status_code == 201
    assert response.get_json()["body"] == ""
    assert_json_error(client.post("/api/notes", json={"body": "no title"}), 422)


def test_a_matching_if_none_match_gets_a_304(client) -> None:
    response = create(client)
    location, tag = response.headers["Location"], response.headers["ETag"]
    not_modified = client.get(location, headers={"If-None-Match": tag})
    assert not_modified.status_code == 304
    assert not_modified.get_data() == b""
    assert not_modified.headers["ETag"] == tag
    # A weak tag matches too (If-None-Match compares weakly); another version does not.
    assert client.get(location, headers={"If-None-Match": f"W/{tag}"}).status_code == 304
    assert client.get(location, headers={"If-None-Match": '"7"'}).status_code == 200


def test_a_change_needs_if_match(client) -> None:
    location = create(client).headers["Location"]
    for method in (client.patch, client.delete):
        kwargs = {"json": {"title": "New"}} if method == client.patch else {}
        assert_json_error(method(location, **kwargs), 428, "precondition_required")
    assert client.get(location).get_json()["version"] == 1  # nothing changed


def test_a_change_against_the_current_version_applies_and_moves_the_etag(client) -> None:
    response = create(client)
    location = response.headers["Location"]
    changed = client.patch(
        location, json={"title": "New"}, headers={"If-Match": response.headers["ETag"]}
    )
    assert changed.status_code == 200
    note = changed.get_json()
    assert (note["title"], note["body"], note["version"]) == ("New", "Some text", 2)
    assert changed.headers["ETag"] == '"2"'
    assert note["updated_at"] > note["created_at"]
    assert client.get(location).get_json() == note


@pytest.mark.parametrize("stale", ['"1"', 'W/"2"', '"999999999999"', "garbage", '"x", "0"'])
def test_a_change_against_any_other_version_is_a_412_and_changes_nothing(
    client, stale: str
) -> None:
    response = create(client)
    location = response.headers["Location"]
    client.patch(location, json={"body": "v2"}, headers={"If-Match": response.headers["ETag"]})
    refused = client.patch(location, json={"body": "lost?"}, headers={"If-Match": stale})
    assert_json_error(refused, 412, "precondition_failed")
    assert_json_error(client.delete(location, headers={"If-Match": stale}), 412)
    note = client.get(location).get_json()
    assert (note["body"], note["version"]) == ("v2", 2)


def test_if_match_star_and_a_list_of_tags_match_the_current_version(client) -> None:
    location = create(client).headers["Location"]
    assert client.patch(location, json={"body": "b"}, headers={"If-Match": "*"}).status_code == 200
    listed = client.patch(location, json={"body": "c"}, headers={"If-Match": '"1", "2"'})
    assert listed.status_code == 200
    assert listed.get_json()["version"] == 3


def test_a_delete_against_the_current_version_removes_the_note(client) -> None:
    response = create(client)
    location, tag = response.headers["Location"], response.headers["ETag"]
    deleted = client.delete(location, headers={"If-Match": tag})
    assert deleted.status_code == 204
    assert deleted.get_data() == b""
    assert_json_error(client.get(location), 404, "not_found")
    assert_json_error(client.delete(location, headers={"If-Match": tag}), 404, "not_found")
    assert_json_error(client.patch(location, json={"body": "x"}, headers={"If-Match": "*"}), 404)


@pytest.mark.parametrize(
    ("changes", "field"),
    [({}, "_schema"), ({"title": None}, "title"), ({"title": ""}, "title"), ({"x": 1}, "x")],
)
def test_a_change_must_change_something_valid(client, changes: dict, field: str) -> None:
    response = create(client)
    location = response.headers["Location"]
    refused = client.patch(location, json=changes, headers={"If-Match": response.headers["ETag"]})
    assert_json_error(refused, 422, "validation_failed")
    assert field in refused.get_json()["error"]["fields"]
    assert client.get(location).get_json()["version"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"title": ""}', "title"),
        ('{"title": "%s"}' % ("t" * 201), "title"),
        ('{"title": "ok", "body": "%s"}' % ("b" * 10_001), "body"),
        ('{"title": "nul\\u0000byte"}', "title"),
        ('{"title": "ok", "body": "nul\\u0000byte"}', "body"),
        ('{"title": "lone \\ud800 surrogate"}', "title"),
        ('{"title": 7}', "title"),
        ('{"title": "ok", "extra": 1}', "extra"),
    ],
)
def test_text_the_database_cannot_store_is_a_422_naming_the_field(
    client, body: str, field: str
) -> None:
    before = len(walk(client, limit=100))
    refused = client.post("/api/notes", data=body, content_type="application/json")
    assert_json_error(refused, 422, "validation_failed")
    error = refused.get_json()["error"]
    assert error["location"] == "json"
    assert field in error["fields"], error
    assert len(walk(client, limit=100)) == before  # nothing stored


def test_the_limits_are_inclusive(client) -> None:
    note = create(client, title="t" * 200, body="b" * 10_000).get_json()
    assert (len(note["title"]), len(note["body"])) == (200, 10_000)


def walk(client, limit: int) -> list[dict]:
    seen, cursor = [], None
    while True:
        query = f"/api/notes?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(query)
        assert page.status_code == 200, page.get_json()
        body = page.get_json()
        assert len(body["items"]) <= limit
        seen.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return seen


def test_pages_walk_every_note_once_oldest_first(client) -> None:
    created = [create(client, title=f"page {n}").get_json()["id"] for n in range(12)]
    seen = walk(client, limit=5)
    ids = [note["id"] for note in seen]
    assert len(ids) == len(set(ids))
    assert [i for i in ids if i in created] == created
    keys = [(note["created_at"], note["id"]) for note in seen]
    assert keys == sorted(keys)


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=x", "cursor=" + "a" * 201])
def test_bad_page_parameters_are_a_422(client, query: str) -> None:
    assert_json_error(client.get(f"/api/notes?{query}"), 422, "validation_failed")


@pytest.mark.parametrize("cursor", ["nonsense", "bnVsbA", "WzEsMl0", "WyJ4IiwxXQ"])
def test_a_cursor_not_given_by_the_service_is_a_422(client, cursor: str) -> None:
    assert_json_error(client.get(f"/api/notes?cursor={cursor}"), 422, "invalid_cursor")


@pytest.mark.parametrize("note_id", ["0", "9223372036854775808"])
def test_ids_out_of_range_are_a_422_not_a_database_error(client, note_id: str) -> None:
    assert_json_error(client.get(f"/api/notes/{note_id}"), 422, "validation_failed")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/notes"),
        ("get", "/api/notes"),
        ("get", "/api/notes/1"),
        ("patch", "/api/notes/1"),
        ("delete", "/api/notes/1"),
    ],
)
def test_every_route_needs_a_login(app: Flask, method: str, path: str) -> None:
    anonymous = app.test_client()
    response = getattr(anonymous, method)(path, json={"title": "t"}, headers={"If-Match": "*"})
    assert_json_error(response, 401, "login_required")


def test_another_users_note_is_a_404_and_stays_as_it_was(app: Flask, client) -> None:
    created = create(client)
    location, tag = created.headers["Location"], created.headers["ETag"]
    stranger = logged_in_client(app)
    assert_json_error(stranger.get(location), 404, "not_found")
    changed = stranger.patch(location, json={"body": "mine now"}, headers={"If-Match": tag})
    assert_json_error(changed, 404, "not_found")
    assert_json_error(stranger.delete(location, headers={"If-Match": "*"}), 404, "not_found")
    assert walk(stranger, limit=100) == []
    assert client.get(location).get_json() == created.get_json()
