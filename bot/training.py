"""Training the Rasa model only when its inputs changed.

A model is named by a fingerprint of everything ``rasa train`` reads (the
config, the domain, the training data, and Rasa's version), so ``wisemind
run`` and the test suite reuse a model as long as nothing changed, and a
changed story or response always produces a new one.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import rasa

from bot.log_config import QUIET_ENV

#: What ``rasa train`` reads, relative to the project home.
TRAINING_INPUTS = ("config.yml", "domain", "data")
MODEL_PREFIX = "wisemind-"
#: Older models kept beside the current one (for a quick rollback).
MODELS_KEPT = 3


def fingerprint(home: Path) -> str:
    """A hash of the training inputs' paths and contents, and of Rasa's version."""
    digest = hashlib.sha256(f"rasa {rasa.__version__}".encode())
    for name in TRAINING_INPUTS:
        root = home / name
        files = sorted(root.rglob("*")) if root.is_dir() else [root]
        for path in files:
            if path.is_file():
                digest.update(str(path.relative_to(home)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


def model_path(home: Path, models_dir: Path) -> Path:
    """Where the model for the current inputs is (or will be) stored."""
    return models_dir / f"{MODEL_PREFIX}{fingerprint(home)}.tar.gz"


def ensure_model(home: Path, models_dir: Path) -> tuple[Path, bool]:
    """Return the model for the current inputs, training it first if needed.

    Returns the path and whether it was trained now.
    """
    target = model_path(home, models_dir)
    if target.exists():
        return target, False
    models_dir.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "rasa", "train",
        "--config", "config.yml", "--domain", "domain", "--data", "data",
        "--out", str(models_dir), "--fixed-model-name", target.name.removesuffix(".tar.gz"),
    ]  # fmt: skip
    # Rasa draws its training progress bars unless its log level is WARNING or above.
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "LOG_LEVEL": "WARNING", **QUIET_ENV}
    subprocess.run(command, cwd=home, env=env, check=True)
    _prune_old_models(models_dir, keep=target)
    return target, True


def _prune_old_models(models_dir: Path, keep: Path) -> None:
    old = sorted(
        (p for p in models_dir.glob(f"{MODEL_PREFIX}*.tar.gz") if p != keep),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for path in old[MODELS_KEPT:]:
        path.unlink(missing_ok=True)
