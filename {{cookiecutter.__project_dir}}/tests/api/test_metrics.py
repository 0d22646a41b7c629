"""/metrics in the app itself: Prometheus text, only for the allowed addresses (404 to the
rest), never touching the session, counting every request but its own scrapes."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ..support.common import free_port


def samples(response) -> dict[tuple, float]:
    assert response.status_code == 200, response.text
    assert response.mimetype == "text/plain"
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def requests_total(found: dict, endpoint: str) -> float:
    return sum(
        value
        for (name, labels), value in found.items()
        if name == "http_requests_total" and ("endpoint", endpoint) in labels
    )


def test_requests_are_counted_by_method_endpoint_and_status(client) -> None:
    client.get("/healthz")
    client.get("/healthz")
    client.get("/nowhere")
    client.get("/metrics")
    found = samples(client.get("/metrics"))
    healthz = (("endpoint", "health.healthz"), ("method", "GET"), ("status", "200"))
    assert found["http_requests_total", healthz] == 2
    assert requests_total(found, "none") == 1  # the 404
    assert requests_total(found, "metrics.scrape") == 0  # scrapes are not counted
    assert ("http_requests_in_flight", ()) in found
    assert ("db_pool_connections_in_use", ()) in found


def test_unusual_methods_share_one_label(client) -> None:
    client.open("/healthz", method="BREW")  # 405: no rule matched, so no endpoint either
    found = samples(client.get("/metrics"))
    assert [labels for (name, labels) in found if name == "http_requests_total"] == [
        (("endpoint", "none"), ("method", "other"), ("status", "405"))
    ]


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "10.1.2.3", "172.20.0.5", "192.168.1.9"])
def test_loopback_and_private_addresses_may_scrape(client, address: str) -> None:
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": address}).status_code == 200


@pytest.mark.parametrize("address", ["203.0.113.7", "8.8.8.8", "2001:db8::1"])
def test_other_addresses_get_a_json_404(client, address: str) -> None:
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_the_allowed_networks_are_a_setting(make_app) -> None:
    app = make_app(METRICS_ALLOWED_NETWORKS="203.0.113.0/24")
    scrape = app.test_client().get
    assert scrape("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code == 200
    assert scrape("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 404


def test_scraping_never_touches_the_session(make_app) -> None:
    app = make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    client = app.test_client()
    client.set_cookie("session", "an-id-that-must-be-looked-up")
    assert client.get("/api/session").status_code == 503
    assert client.get("/metrics").status_code == 200
    assert "Set-Cookie" not in client.get("/metrics").headers
