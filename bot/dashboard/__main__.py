"""``python -m bot.dashboard``: serve the dashboard with uvicorn (``wisemind run`` does this).

With SMS configured, the same process answers Twilio's Fallback URL
(:mod:`channels.twilio_webhook`).
"""

from __future__ import annotations

import dataclasses
import threading

import uvicorn

from bot.dashboard.app import create_app
from bot.launch import ensure_dashboard_secret
from bot.safety import skip_tensorflow, warm_up
from bot.settings import process_settings


def main() -> None:
    settings = process_settings()
    settings = dataclasses.replace(settings, dashboard_secret=ensure_dashboard_secret(settings))
    if settings.twilio is not None:
        # This process also answers Twilio's fallback URL, which screens each message: load
        # the detector now, beside the dashboard, not while the first fallback SMS waits.
        skip_tensorflow()
        threading.Thread(target=warm_up, name="detector-warm-up", daemon=True).start()
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
