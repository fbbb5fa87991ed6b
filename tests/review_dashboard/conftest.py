"""Fixtures of the review: now in :mod:`tests.dashboard_support` (``http_admin``, ``pg_clinic``)."""
