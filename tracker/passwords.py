"""How a password is stored and checked: werkzeug's salted scrypt hash, in one place.

Infrastructure, not a rule (the rules a password must meet are ``domain/passwords.py``): the
services call these three functions, so they import no werkzeug, and every hash the app writes
(accounts, the bulk generator) uses the same method and cost. The format is werkzeug's
``scrypt:32768:8:1$<salt>$<hex>``, so hashes already stored keep verifying.
"""

from __future__ import annotations

import secrets
from functools import cache

from werkzeug.security import check_password_hash, generate_password_hash


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    return check_password_hash(stored_hash, password)


@cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_urlsafe(16))


def spend_a_check(password: str) -> None:
    """Check ``password`` against a throwaway hash of the same method and cost as real ones,
    so an unknown login costs the same time as a wrong password."""
    check_password_hash(_dummy_hash(), password)
