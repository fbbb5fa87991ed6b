"""``python -m bot.dashboard``: serve the dashboard with uvicorn (``wisemind run`` does this)."""

from __future__ import annotations

import dataclasses

import uvicorn

from bot.dashboard.app import create_app
from bot.launch import ensure_dashboard_secret
from bot.settings import process_settings


def main() -> None:
    settings = process_settings()
    settings = dataclasses.replace(settings, dashboard_secret=ensure_dashboard_secret(settings))
    uvicorn.run(
        create_app(settings),
        host=settings.dashboard_host,
        port=settings.dashboard_port,
        log_level="info",
        # No websockets here; and Rasa pins a websockets too old for uvicorn's auto-detection.
        ws="none",
        # Behind a reverse proxy, set FORWARDED_ALLOW_IPS to its address for real client IPs.
        proxy_headers=True,
    )


if __name__ == "__main__":
    main()
