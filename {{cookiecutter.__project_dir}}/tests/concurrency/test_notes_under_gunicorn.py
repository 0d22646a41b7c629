"""Two clients editing one note at once, under the real server: neither loses its change.

The notes routes compare the client's If-Match in the UPDATE itself (notes.py). The broken
variant (tests/support/instrumented_app.py) checks the version in Python first, then writes:
each property below is run against both, and fails on the broken one. Every client is the
same user, the notes' author, on one logged-in session.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter as Tally
from collections.abc import Iterator

import pytest
import requests

from ..support.common import log_in_over_http
from ..support.live_server import WITHOUT_QUEUE_BUDGET, LiveServer, many_at_once, start

CLIENTS = 32
EDITORS = 8
EDITS_PER_EDITOR = 5
WRITERS = 8
REAL, CHECK_THEN_WRITE = "if-match in the update", "check then write"


@pytest.fixture(scope="module")
def server(live_settings: dict) -> Iterator[LiveServer]:
    """The shared server, with the queue's budget out of the way. The check-then-write
    variant holds its database connection for 50 ms, and 32 of them at once are 16 times
    what gevent on SQLite (one connection a worker) serves within the budget: they would be
    refused as past capacity (faults/test_overload_under_gunicorn.py), not race."""
    with start(live_settings, "service", **WITHOUT_QUEUE_BUDGET) as live:
        yield live
    live.assert_clean_log()


@pytest.fixture(scope="module")
def cookies(server: LiveServer) -> dict[str, str]:
    """The session cookie of the notes' author, which every client of a test sends."""
    with requests.Session() as http:
        name = f"author-{uuid.uuid4().hex[:12]}"
        assert log_in_over_http(http, server.url, name, timeout=10).status_code == 200
        return http.cookies.get_dict()


def new_note(server: LiveServer, cookies: dict, title: str = "shared", body: str = "") -> dict:
    response = requests.post(
        server.url("/api/notes"), json={"title": title, "body": body}, cookies=cookies, timeout=10
    )
    assert response.status_code == 201, response.text
    return response.json()


def change_url(server: LiveServer, variant: str, note_id: int) -> str:
    if variant == CHECK_THEN_WRITE:
        return server.url(f"/test/notes/{note_id}/check-then-write")
    return server.url(f"/api/notes/{note_id}")


@pytest.mark.parametrize("variant", [REAL, CHECK_THEN_WRITE])
def test_of_32_changes_made_against_one_version_exactly_one_applies(
    server: LiveServer, cookies: dict, variant: str
) -> None:
    note = new_note(server, cookies)
    url = change_url(server, variant, note["id"])

    def change(number: int) -> int:
        body = {"body": f"written by client {number}"}
        headers = {"If-Match": '"1"'}
        return requests.patch(
            url, json=body, headers=headers, cookies=cookies, timeout=30
        ).status_code

    statuses = Tally(many_at_once(change, CLIENTS))
    final = requests.get(server.url(f"/api/notes/{note['id']}"), cookies=cookies, timeout=10).json()
    if variant == REAL:
        assert statuses == {200: 1, 412: CLIENTS - 1}
        assert final["version"] == 2
    else:  # several clients passed the check: all but the last change are lost
        assert statuses[200] > 1, statuses
        assert final["version"] == 1 + statuses[200]


@pytest.mark.parametrize("variant", [REAL, CHECK_THEN_WRITE])
def test_editors_that_retry_on_412_lose_none_of_their_edits(
    server: LiveServer, cookies: dict, variant: str
) -> None:
    note = new_note(server, cookies)
    read_url = server.url(f"/api/notes/{note['id']}")
    url = change_url(server, variant, note["id"])

    def editor(number: int) -> int:
        retries = 0
        with requests.Session() as http:
            http.cookies.update(cookies)
            for edit in range(EDITS_PER_EDITOR):
                while True:  # read, apply, write; on 412 read again
                    current = http.get(read_url, timeout=30)
                    body = {"body": current.json()["body"] + f"[{number}.{edit}]"}
                    headers = {"If-Match": current.headers["ETag"]}
                    answer = http.patch(url, json=body, headers=headers, timeout=30)
                    if answer.status_code == 200:
                        break
                    assert answer.status_code == 412, answer.text
                    retries += 1
        return retries

    retries = sum(many_at_once(editor, EDITORS))
    final = requests.get(read_url, cookies=cookies, timeout=10).json()
    expected = {f"[{n}.{e}]" for n in range(EDITORS) for e in range(EDITS_PER_EDITOR)}
    kept = {token for token in expected if token in final["body"]}
    if variant == REAL:
        assert kept == expected
        assert final["version"] == 1 + EDITORS * EDITS_PER_EDITOR
        assert retries > 0  # the editors did collide, and recovered
    else:
        assert kept < expected, "the check-then-write variant lost no edit"


def walk(
    server: LiveServer, cookies: dict, by_offset: bool, seen: list[int], pause: float = 0.02
) -> list[int]:
    """Every id the pages show, in order (also into `seen` as they come), read as a slow
    client reads them."""
    cursor, offset, limit = None, 0, 5
    with requests.Session() as http:
        http.cookies.update(cookies)
        while True:
            if by_offset:
                page = http.get(
                    server.url("/test/notes-by-offset"),
                    params={"offset": offset, "limit": limit},
                    timeout=30,
                ).json()
                ids, offset = page["ids"], offset + limit
                more = len(ids) == limit
            else:
                params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
                page = http.get(server.url("/api/notes"), params=params, timeout=30).json()
                ids, cursor = [item["id"] for item in page["items"]], page["next_cursor"]
                more = cursor is not None
            seen.extend(ids)
            if not more:
                return seen
            time.sleep(pause)


@pytest.mark.parametrize("by_offset", [False, True], ids=["keyset", "offset"])
def test_pages_show_every_older_note_once_while_others_write(
    server: LiveServer, cookies: dict, by_offset: bool
) -> None:
    # Notes to follow, and between them notes the writers will delete while the walk runs.
    kept, doomed = [], {writer: [] for writer in range(WRITERS)}
    for index in range(60):
        kept.append(new_note(server, cookies, f"kept {index}")["id"])
        doomed[index % WRITERS].append(new_note(server, cookies, f"doomed {index}")["id"])
    assert set(kept) <= set(walk(server, cookies, by_offset, [], pause=0))
    seen: list[int] = []
    walked = threading.Event()

    def writer(number: int) -> None:
        """Inserts notes, and deletes its doomed ones once the walk has shown them: a row
        deleted behind a page already read."""
        with requests.Session() as http:
            http.cookies.update(cookies)
            for note_id in doomed[number]:
                while note_id not in seen and not walked.is_set():
                    time.sleep(0.005)
                created = http.post(server.url("/api/notes"), json={"title": "new"}, timeout=30)
                assert created.status_code == 201, created.text
                gone = http.delete(
                    server.url(f"/api/notes/{note_id}"), headers={"If-Match": "*"}, timeout=30
                )
                assert gone.status_code == 204, gone.text

    writers = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in writers:
        thread.start()
    walk(server, cookies, by_offset, seen)
    walked.set()
    for thread in writers:
        thread.join()

    repeated = [note_id for note_id, count in Tally(seen).items() if count > 1]
    skipped = set(kept) - set(seen)
    if by_offset:  # rows deleted behind the offset move the later ones onto pages already read
        assert skipped, "offset paging skipped nothing"
    else:
        assert (repeated, skipped) == ([], set())
