"""`dump(data)`: a command's --json answer as strict JSON on stdout (NaN and infinities become "nan"/"inf" text)."""
from __future__ import annotations

import json
import sys


def strict(value):
    """`value` with every non-finite float as text: JSON has no NaN or Infinity, and strict parsers reject the tokens."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return str(value)
    if isinstance(value, dict):
        return {k: strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict(v) for v in value]
    return value


def dump(data) -> None:
    """Write `data` as indented strict JSON and a newline."""
    json.dump(strict(data), sys.stdout, indent=2, ensure_ascii=False, allow_nan=False, default=str)
    sys.stdout.write("\n")
