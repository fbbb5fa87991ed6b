"""A log an operator can read: one line per event, no library noise, no secrets.

Every WiseMind process calls :func:`quiet_libraries` (the Rasa server
:func:`quiet_rasa` too): this module is the one place where warnings are
filtered. Child processes and the trainer also get :data:`QUIET_ENV`, which
silences what happens before any of our code runs (deprecation warnings at
import, TensorFlow's C++ banner, training progress bars). Library loggers that
print request URLs (httpx prints ``https://api.telegram.org/bot<token>/...`` at
INFO) are kept to warnings.
"""

from __future__ import annotations

import logging
import warnings
from typing import Final

#: Libraries whose INFO lines are noise, or carry secrets in URLs.
NOISY_LOGGERS: Final = (
    "httpx",  # the Telegram bot token is part of every request URL
    "httpcore",
    "twilio",  # logs every request (URL, headers)
    "alembic.runtime.plugins",  # one line per plugin at import
    "apscheduler",
    "rasa_sdk.executor",  # one line per action at every start of the action server
)

#: Environment for WiseMind's child processes and the trainer.
QUIET_ENV: Final = {
    # Library deprecation warnings are for their developers, not a clinic's operator.
    "PYTHONWARNINGS": "ignore::DeprecationWarning,ignore::PendingDeprecationWarning,"
    "ignore::FutureWarning",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    # No progress bars in a log (tqdm >= 4.66 reads this).
    "TQDM_DISABLE": "1",
}


#: Warnings that are for libraries' developers, not a clinic's operator.
SILENCED_WARNINGS: Final = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)


def quiet_library_loggers() -> None:
    """Keep chatty libraries to warnings and above (cheap; the storage package calls it)."""
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def quiet_libraries() -> None:
    """Quiet library loggers, and keep their deprecation warnings out of the log.

    Sanic turns deprecation warnings back on when it is imported (a filter in
    front of ``PYTHONWARNINGS``), and Rasa imports it before most of its
    dependencies warn: so Sanic is imported first here and the filters go in
    front of its own. Call this at a process's start, before importing Rasa.
    """
    import sanic  # noqa: F401 - for its warning filter, which ours must come before

    for category in SILENCED_WARNINGS:
        warnings.filterwarnings("ignore", category=category)
    quiet_library_loggers()


def quiet_rasa() -> None:
    """Keep pyparsing's deprecation warnings out of the Rasa server's log.

    matplotlib and packaging still call pyparsing by its old names, and
    pyparsing (3.3) warns with a class that is both a DeprecationWarning and
    a UserWarning. Rasa, as it starts, puts a "show once" filter for every
    UserWarning in front of ours, so they would show; the ones it expects it
    ignores in front of that (``rasa.utils.common.EXPECTED_WARNINGS``, the
    list Rasa itself extends for Pillow's), which is where these go. Call
    after :func:`quiet_libraries`, before Rasa's main.
    """
    from pyparsing.warnings import PyparsingDeprecationWarning
    from rasa.utils import common

    common.EXPECTED_WARNINGS.append((PyparsingDeprecationWarning, ""))
