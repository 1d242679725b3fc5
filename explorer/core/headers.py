"""Extra request headers (a bearer token, an API key): checked once, for REST and gRPC alike."""
from __future__ import annotations

import re

from .errors import InputProblem

# An HTTP header name is an RFC 9110 token; gRPC metadata keys are a subset once lower-cased.
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def header_problem(headers) -> InputProblem | None:
    """Why these headers cannot be sent (a bad name, a value HTTP cannot carry), or None; accepts a dict or pairs."""
    pairs = headers.items() if isinstance(headers, dict) else headers
    for name, value in pairs:
        if not _TOKEN.match(name or ""):
            return InputProblem(None, f"{name!r} is not a valid header name.",
                                fix="Header names are letters, digits and - (e.g. Authorization, X-Api-Key).")
        bad = next((ch for ch in str(value) if ord(ch) > 255 or ch in "\r\n"), None)
        if bad is not None:
            return InputProblem(None, f"The value of header {name} holds {bad!r} (U+{ord(bad):04X}), which an HTTP "
                                      "header cannot carry.",
                                fix="Paste the value again as plain text; a copied token that ends in '…' was "
                                    "shortened by the page it came from.")
    return None


def checked_headers(headers) -> dict[str, str]:
    """The headers as a dict, or InputProblem raised before anything is sent."""
    problem = header_problem(headers or {})
    if problem is not None:
        raise problem
    return dict(headers.items() if isinstance(headers, dict) else headers or {})
