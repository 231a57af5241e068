"""Identifiers of a complaint: the portal's own number and the public tracking code.

Both are random, not sequential, so that two clerks (or a 100,000-row import) never race for the next number
and a tracking code cannot be guessed from another one. Collisions are refused by the unique constraints.
"""
import secrets

# No 0/O, 1/I/L: a code read over the phone is not misread.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def _random(n: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(n))


def new_number(received_at) -> str:
    """TS20261201-7K3QHX: the day it was received, then 6 random characters (31**6 ≈ 8.9e8 per day)."""
    return f"TS{received_at:%Y%m%d}-{_random(6)}"


def new_tracking_code() -> str:
    """10 random characters (31**10 ≈ 8e14): what a complainant types to follow the order."""
    return _random(10)
