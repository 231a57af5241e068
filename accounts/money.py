"""Exact decimal helpers: one place rounds, half-up (ARCHITECTURE.md: money is exact)."""
from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")


def round_half_up(value: Decimal, places: Decimal = FEN) -> Decimal:
    """Round half-up to `places` (default: the fen, 0.01). 2.505 -> 2.51."""
    return Decimal(value).quantize(places, rounding=ROUND_HALF_UP)
