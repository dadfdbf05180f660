"""Money on console pages, read like Stripe's: one helper (and its two template filters) for every amount shown.

Amounts arrive as the API gives them (decimal USD strings with up to 6 decimals, ``"24.999949"``) or as micro-USD
integers. Two forms:

- ``balance``: 2 decimals, rounded toward minus infinity (floor) to the cent, with thousands separators. A balance
  is what can be spent, so the figure never shows more than there is ($24.999949 → $24.99; -$0.000105 → -$0.01).
- ``usd``: every decimal the amount needs (at least 2, at most the API's 6), with thousands separators; for
  per-request costs and spend, which must agree with the API to the micro-dollar ($0.000039).

Both render an HTML ``<data>`` element whose ``value`` is the API's exact decimal string, with a ``title`` naming
the exact amount when the figure is rounded: the page's number and the API's number can always be compared.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from markupsafe import Markup

from empirio.domain.money import MICROS_PER_USD, format_usd


def micros_of(amount: int | str | Decimal | None) -> int:
    """Micro-USD from an integer of micro-USD or a USD decimal string as the API writes it (sign allowed)."""
    if amount is None or amount == "":
        return 0
    if isinstance(amount, int):
        return amount
    try:
        exact = Decimal(str(amount).replace(",", "")) * MICROS_PER_USD
    except InvalidOperation:
        raise ValueError(f"not a USD amount: {amount!r}") from None
    if exact != exact.to_integral_value():
        raise ValueError(f"more precise than a micro-dollar: {amount!r}")
    return int(exact)


def _grouped(micros: int, decimals: int | None) -> str:
    """``-$1,234.5678``: ``decimals`` fixed (floored to them), or None for every decimal needed (2 to 6)."""
    sign = "-" if micros < 0 else ""
    if decimals is not None:
        step = MICROS_PER_USD // 10**decimals
        micros = (micros // step) * step  # floor, also for negative amounts
        sign = "-" if micros < 0 else ""
    whole, frac = divmod(abs(micros), MICROS_PER_USD)
    digits = f"{frac:06d}"
    digits = digits[:decimals] if decimals is not None else digits.rstrip("0").ljust(2, "0")
    return f"{sign}${whole:,}.{digits}"


def balance_text(amount: int | str | Decimal | None) -> str:
    """A balance as text: 2 decimals, floored to the cent, thousands separators (``$10,000.00``)."""
    return _grouped(micros_of(amount), 2)


def usd_text(amount: int | str | Decimal | None) -> str:
    """An amount with the decimals it needs (2 to 6), thousands separators (``$0.000039``, ``$1,250.50``)."""
    return _grouped(micros_of(amount), None)


def _element(micros: int, shown: str) -> Markup:
    exact = format_usd(micros)
    if shown == usd_text(micros):
        return Markup('<data class="money" value="{}">{}</data>').format(exact, shown)
    return Markup('<data class="money" value="{}" title="Exactly ${}">{}</data>').format(exact, exact, shown)


def balance_html(amount: int | str | Decimal | None) -> Markup:
    """The ``balance`` template filter."""
    micros = micros_of(amount)
    return _element(micros, _grouped(micros, 2))


def usd_html(amount: int | str | Decimal | None) -> Markup:
    """The ``usd`` template filter."""
    micros = micros_of(amount)
    return _element(micros, _grouped(micros, None))
