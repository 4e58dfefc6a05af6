"""Credentials kept out of what the SDK shows, even when a server echoes them back.

Some gateways put the ``Authorization`` value they received in a 401 body or a header. An
error carries the answer's body and headers, its message quotes the body, and messages reach
logs, tracebacks, pickles and the command line's output: so every text taken from an answer
is passed through ``Redactor.text`` first.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping

__all__ = ["NO_SECRETS", "REDACTED", "Redactor"]

REDACTED = "[redacted]"

#: A key or secret shorter than this is not looked for: replacing every "ab" in a message
#: would hide more than it protects (real keys and secrets are far longer).
_SHORTEST = 6


class Redactor:
    """Replaces the client's credentials, plain or base64-encoded, with ``[redacted]``."""

    def __init__(self, api_key: str, api_secret: str) -> None:
        pair = f"{api_key}:{api_secret}".encode()
        forms = {
            # Without their "=" padding, which an echo may drop.
            base64.b64encode(pair).decode("ascii").rstrip("="),
            base64.urlsafe_b64encode(pair).decode("ascii").rstrip("="),
            base64.b64encode(api_secret.encode()).decode("ascii").rstrip("="),
            pair.decode(),
            api_secret,
            api_key,
        }
        # Longest first, so that a form containing another is replaced whole.
        self._forms = sorted((f for f in forms if len(f) >= _SHORTEST), key=len, reverse=True)

    def text(self, value: str) -> str:
        for form in self._forms:
            if form in value:
                value = value.replace(form, REDACTED)
        return value

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {name: self.text(value) for name, value in headers.items()}


#: For code that builds errors without a client (tests, the fake API): hides nothing.
NO_SECRETS = Redactor("", "")
