"""Reading the files of ``skills_content/``, and the one error every bad file raises."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

#: libyaml's parser when it is installed: about ten times faster than pure Python,
#: which matters because the library is loaded by every process at start-up.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SkillContentError(ValueError):
    """A file of ``skills_content/`` is missing, malformed or inconsistent."""


def read_yaml(path: Path) -> Any:
    """The document in ``path``; :class:`SkillContentError` naming the file if unreadable."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, yaml.YAMLError) as exc:
        raise SkillContentError(f"{path.name}: cannot be read: {exc}") from exc
