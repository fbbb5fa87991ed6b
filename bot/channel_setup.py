"""``wisemind channels setup``: connect the clinic's Telegram bot and Twilio number.

Telegram is told where to deliver updates (``setWebhook`` with the secret
token it will echo back, and only the update types WiseMind reads): the
dashboard's process, which does not depend on Rasa, since Telegram has no
fallback URL (a message sent while the Rasa server restarts is still taken
in, screened and paged at once, and the Rasa server answers it). Twilio's
webhooks are set in its console (or API) by the clinic, so the URLs to enter
are printed: the webhook on the Rasa server, and the Fallback URL on the
dashboard's process, which Twilio calls when the webhook fails (Twilio does
not retry an inbound SMS: without it, a text sent while the Rasa server
restarts is lost).
"""

from __future__ import annotations

from collections.abc import Callable

from bot.settings import ConfigError, Settings

#: Updates WiseMind acts on; Telegram sends nothing else.
TELEGRAM_UPDATES = ["message", "edited_message", "callback_query"]


async def set_up_channels(settings: Settings, say: Callable[[str], None]) -> int:
    """Register what can be registered, print the rest; 0 if all configured went well."""
    if settings.twilio is None and settings.telegram is None:
        raise ConfigError("neither WISEMIND_TWILIO_* nor WISEMIND_TELEGRAM_* is set")
    if settings.twilio is not None and not settings.public_url:
        raise ConfigError("set WISEMIND_PUBLIC_URL to the Rasa server's public https URL first")
    if settings.telegram is not None:
        from telegram.error import TelegramError

        from channels.telegram_webhook import WEBHOOK_PATH, telegram_bot

        url = settings.fallback_base_url + WEBHOOK_PATH
        try:
            async with telegram_bot(settings.telegram) as bot:
                await bot.set_webhook(
                    url, secret_token=settings.telegram.secret, allowed_updates=TELEGRAM_UPDATES
                )
                me = await bot.get_me()
        except TelegramError as exc:
            raise ConfigError(f"Telegram refused the webhook: {exc}") from None
        say(f"Telegram: @{me.username} now delivers to {url}")
    if settings.twilio is not None:
        from channels.twilio_webhook import FALLBACK_PATH, STATUS_PATH, WEBHOOK_PATH

        fallback = settings.fallback_base_url + FALLBACK_PATH
        say(
            f"Twilio: in the console, for the number {settings.twilio.from_number}, set\n"
            f"  A message comes in:     POST {settings.public_url}{WEBHOOK_PATH}\n"
            f"  Primary handler fails:  POST {fallback}\n"
            f"Delivery status callbacks are requested per message, at\n"
            f"  {settings.public_url}{STATUS_PATH}"
        )
    return 0
