"""Password hashes keep the format they had when the services called werkzeug directly."""

from __future__ import annotations

from werkzeug.security import check_password_hash, generate_password_hash

from tracker.passwords import hash_password, spend_a_check, verify_password


def test_hashes_already_stored_keep_verifying_and_new_ones_read_the_same_way():
    stored = generate_password_hash("Tongban-Test-2026!")  # as the services used to write it
    assert verify_password(stored, "Tongban-Test-2026!")
    assert not verify_password(stored, "Tongban-Test-2026?")
    fresh = hash_password("Tongban-Test-2026!")
    assert fresh.split("$")[0] == stored.split("$")[0]  # same method and cost
    assert check_password_hash(fresh, "Tongban-Test-2026!")
    spend_a_check("anything")  # runs against a throwaway hash, raises nothing
