"""Generated bodies, query strings and headers thrown at the JSON routes.

Property: the answer is below 500 and JSON (or an empty 204), and a refused write stores
nothing. Runs in-process against real Redis and the real database; derandomized so CI runs
the same examples every time.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..support.common import TEST_PASSWORD, log_in

OWNER = {"username": "owner", "password": TEST_PASSWORD}

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=300),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)
FIELD_VALUES = st.one_of(
    JSON_VALUES,
    st.text(min_size=0, max_size=260),
    st.sampled_from(["\ud800", "\x00", "a\nb", " ", "\u202e", "😀" * 64]),
)
BODIES = st.one_of(
    st.binary(max_size=200),
    JSON_VALUES.map(lambda value: json.dumps(value).encode()),
    st.fixed_dictionaries(
        {}, optional={"username": FIELD_VALUES, "password": FIELD_VALUES, "item": FIELD_VALUES}
    ).map(lambda value: json.dumps(value).encode()),
)
CONTENT_TYPES = st.sampled_from(
    ["application/json", "application/json; charset=utf-8", "text/plain", "", "*/*", "x/y"]
)
HEADER_TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=200)
ROUTES = st.sampled_from(
    [
        ("POST", "/api/session/login"),
        ("POST", "/api/session/items"),
        ("GET", "/api/session"),
        ("POST", "/api/session/logout"),
        ("GET", "/api/request"),
        ("GET", "/api/async/fanout"),
        ("POST", "/api/counters/fuzzed"),
        ("GET", "/api/counters/fuzzed"),
    ]
)
QUERIES = st.dictionaries(
    st.sampled_from(["tasks", "delay", "x"]),
    st.one_of(st.text(max_size=12), st.integers().map(str), st.floats().map(str)),
    max_size=3,
)


@st.composite
def requests_(draw):
    method, path = draw(ROUTES)
    return {
        "method": method,
        "path": path,
        "query_string": draw(QUERIES),
        "data": draw(BODIES),
        "content_type": draw(CONTENT_TYPES),
        "headers": {"X-Request-ID": draw(HEADER_TEXT)},
    }


def test_generated_requests_never_break_the_service(app) -> None:
    client = app.test_client()
    assert log_in(client.post, OWNER["username"]).status_code == 200
    assert client.post("/api/session/items", json={"item": "first"}).status_code == 201

    @settings(
        max_examples=300,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(request=requests_())
    def check(request: dict) -> None:
        before = client.get("/api/session").get_json()
        counter_before = client.get("/api/counters/fuzzed").status_code
        response = client.open(**request)
        assert response.status_code < 500, (request, response.data)
        if response.status_code != 204:
            assert response.mimetype == "application/json", (request, response.data)
            body = response.get_json()
            assert isinstance(body, dict)
        if response.status_code >= 400:
            assert "error" in response.get_json()
            after = client.get("/api/session").get_json()
            assert after == before, "a refused request changed the session"
            assert client.get("/api/counters/fuzzed").status_code == counter_before
        if response.status_code in (200, 204) and request["path"] in (
            "/api/session/login",
            "/api/session/logout",
        ):
            # Start each example from the same kind of session.
            client.post("/api/session/login", json=OWNER)

    check()
