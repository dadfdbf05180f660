"""Money: integer micro-USD amounts, parsing and formatting of USD decimal strings, the one rounding rule.

Every stored or compared amount is an ``int`` of micro-USD (1 USD = 1_000_000). Prices in the catalog are
exact decimals (a rate such as $0.075 per million tokens is a fraction of a micro-USD per token), so a cost is
computed exactly as a ``Fraction`` and converted to micro-USD by :func:`round_cost` exactly once per request.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction

MICROS_PER_USD = 1_000_000

_USD_RE = re.compile(r"^(0|[1-9][0-9]{0,11})(\.[0-9]{1,6})?$")


class InvalidAmountError(ValueError):
    """A USD amount string that is not a non-negative decimal with at most 6 decimals."""


def parse_usd(text: str) -> int:
    """Parse a USD decimal string (``"10.00"``, ``"0.000001"``) into micro-USD.

    Only plain non-negative decimals with at most 6 decimals are accepted: no exponent, sign, spaces or
    thousands separators, so that what the client wrote is exactly what is credited.
    """
    if not isinstance(text, str) or not _USD_RE.match(text):
        raise InvalidAmountError(
            'must be a USD amount as a decimal string with at most 6 decimals, e.g. "10.00"'
        )
    whole, _, frac = text.partition(".")
    return int(whole) * MICROS_PER_USD + int(frac.ljust(6, "0") or "0")


def format_usd(micros: int) -> str:
    """Format micro-USD as a USD decimal string with 2 to 6 decimals (``10_000_000`` → ``"10.00"``)."""
    sign = "-" if micros < 0 else ""
    whole, frac = divmod(abs(micros), MICROS_PER_USD)
    digits = f"{frac:06d}".rstrip("0").ljust(2, "0")
    return f"{sign}{whole}.{digits}"


def rate(text: str | Decimal | float | int) -> Fraction:
    """An exact price rate from its decimal text (floats are converted through their shortest repr)."""
    if isinstance(text, float):
        text = repr(text)
    return Fraction(Decimal(text))


def round_cost(usd: Fraction) -> int:
    """THE rounding rule: an exact USD cost becomes micro-USD rounded up (ceiling).

    Rounding up once per request means a request never costs less than its exact price, and the customer is
    never charged more than one micro-USD above it. Holds use the same rule, so hold ≥ charge is preserved.
    """
    if usd < 0:
        raise ValueError("cost cannot be negative")
    return math.ceil(usd * MICROS_PER_USD)
