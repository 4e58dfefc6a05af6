"""The ``scenario_async`` logger. Its level can come from ``SCENARIO_LOG`` (debug, info, ...)."""

from __future__ import annotations

import logging
import os

__all__ = ["logger", "setup_logging_from_env"]

logger = logging.getLogger("scenario_async")


def setup_logging_from_env() -> None:
    """Apply ``SCENARIO_LOG`` once: set the level and, if nothing handles our records yet,
    print them to stderr. Applications that configure logging themselves are left alone."""
    level_name = os.environ.get("SCENARIO_LOG", "").strip().upper()
    if not level_name:
        return
    level = logging.getLevelName(level_name)
    if not isinstance(level, int):
        return
    logger.setLevel(level)
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
