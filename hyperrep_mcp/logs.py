"""The process's log: one stderr handler, every secret redacted; stdout stays the protocol's.

Light on purpose (standard library only): the command line sets it up before anything heavy loads.
"""

from __future__ import annotations

import logging
import sys

from hyperrep_mcp.config import Settings

# uvicorn.error carries the few server lifecycle lines; uvicorn.access is one line per request.
THIRD_PARTY_LOGGERS = ("httpx2", "httpcore", "mcp", "uvicorn.access", "stamina")


def setup_logging(settings: Settings, *, quiet: bool = False) -> None:
    """One stderr handler on the root logger, with every secret redacted; stdout stays untouched."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"))
    secrets = [
        s.get_secret_value() for s in (settings.api_key, settings.mcp_token, settings.mcp_state_key) if s
    ]
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    # quiet: the command's own output says what went wrong; retries and warnings are noise there.
    level = logging.ERROR if quiet else logging.getLevelNamesMapping()[settings.log_level]
    root.setLevel(level)
    # Third-party chatter (one line per HTTP request) is noise at INFO, where our own log has one
    # line per tool call; DEBUG means everything.
    for noisy in THIRD_PARTY_LOGGERS:
        logging.getLogger(noisy).setLevel(
            logging.DEBUG if level <= logging.DEBUG else max(level, logging.WARNING)
        )


class RedactSecrets(logging.Filter):
    """Last line of defence: no log record leaves with a secret in it, whoever logged it."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if len(s) >= 4]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        redacted = message
        for secret in self.secrets:
            redacted = redacted.replace(secret, "[redacted]")
            if record.exc_text:
                record.exc_text = record.exc_text.replace(secret, "[redacted]")
            if record.stack_info:
                record.stack_info = record.stack_info.replace(secret, "[redacted]")
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
