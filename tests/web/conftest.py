"""Web tests start with an empty rate-limit cache: it lives in a database table that the
transactional tests' flush does not empty, so counts would leak from test to test."""

from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def empty_rate_limits(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("django_db"):
        cache.clear()
