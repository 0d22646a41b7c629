"""Tests that run a whole generated suite take minutes each: start them first, so that no
worker is left finishing one while the others have nothing to do."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("generated_suite") is None)
