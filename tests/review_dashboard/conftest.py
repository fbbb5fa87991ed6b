"""Fixtures of the review: a second browser (an admin's), and the clinic on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from bot.dashboard.app import create_app
from tests.dashboard_support import Browser, Clinic
from tests.review_dashboard.support import pg_clinic  # noqa: F401  (a fixture)


@pytest.fixture
def http_admin(clinic: Clinic) -> Iterator[Browser]:
    """Another browser on the same dashboard, for a second person at the same time."""
    with TestClient(create_app(clinic.settings, clinic.engine)) as http:
        yield Browser(http)
