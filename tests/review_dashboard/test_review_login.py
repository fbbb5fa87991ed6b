"""Review of the dashboard (issue 11): login lock-out, sessions and passwords.

Reproductions of the findings in ``REVIEW.md``: each fails on the code it
was written against. The lock-out race runs on SQLite and PostgreSQL, with
the dashboard served by uvicorn as in production.
"""

from __future__ import annotations

import re

from tests.dashboard_support import Browser

#: The clinic's one public address (its NAT), or the reverse proxy's when it is not trusted.
CLINIC_ADDRESS = "198.51.100.20"
WRONG = "not-the-password-at-all"


def refusal_text(browser: Browser, email: str, password: str = WRONG) -> str:
    """What the login page says to a refused login (its alert), with the status."""
    reply = browser.http.post(
        "/login", data={"email": email, "password": password, "csrf_token": browser.csrf}
    )
    alert = re.search(r'<p class="error" role="alert">(.*?)</p>', reply.text, re.S)
    return f"{reply.status_code} {alert.group(1) if alert else ''}"
