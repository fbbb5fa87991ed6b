"""``python -m bot.rasa_server [options]``: ``rasa run`` with the API token from the environment.

``rasa run`` only takes its HTTP API token as ``--auth-token`` on the command
line, where every local user can read it in the process list. This entry point
adds it from ``WISEMIND_API_TOKEN`` inside the process instead.
"""

from __future__ import annotations

import os
import sys

from bot.log_config import quiet_libraries, quiet_rasa
from bot.settings import ConfigError, process_settings


def main() -> None:
    try:
        process_settings()  # read once, here: a bad setting stops the server in one line
    except ConfigError as exc:
        sys.exit(f"wisemind: error: {exc}")
    quiet_libraries()
    quiet_rasa()
    from rasa.__main__ import main as rasa_main  # after the check: importing Rasa takes seconds

    token = os.environ.get("WISEMIND_API_TOKEN", "")
    if not token:
        sys.exit("WISEMIND_API_TOKEN is not set: the Rasa HTTP API must be token-protected")
    # One argument: a generated token may start with "-", which argparse would take for an option.
    sys.argv = ["rasa", "run", "--enable-api", f"--auth-token={token}", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
