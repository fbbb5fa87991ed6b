"""``python -m bot.action_server [options]``: Rasa's action server, its log kept readable.

The same as ``python -m rasa_sdk``, except that the library warnings are
silenced first (:func:`bot.log_config.quiet_libraries`): importing
``rasa_sdk`` imports Sanic, which turns deprecation warnings back on, before
any of WiseMind's code could run.
"""

from __future__ import annotations

import sys
import threading

from bot.log_config import quiet_libraries
from bot.safety import warm_up
from bot.settings import ConfigError, process_settings


def main() -> None:
    quiet_libraries()
    try:
        process_settings()  # read once, here: a bad setting stops the server in one line
    except ConfigError as exc:
        sys.exit(f"wisemind: error: {exc}")
    # "Are you safe right now?" is read with the detector's words for lethal means
    # (bot.safety.followup.read_safe_now): load it now, not while a client in crisis
    # waits for the answer.
    threading.Thread(target=warm_up, name="detector-warm-up", daemon=True).start()
    from rasa_sdk.__main__ import main as rasa_sdk_main  # after the filters: it warns at import

    rasa_sdk_main()


if __name__ == "__main__":
    main()
