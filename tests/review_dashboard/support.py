"""The review's helpers, now kept in :mod:`tests.dashboard_support`."""

from tests.dashboard_support import fresh_login_form, pg_clinic, therapist_id

__all__ = ["fresh_login_form", "pg_clinic", "therapist_id"]
