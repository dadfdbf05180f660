import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from empirio.domain.keys import (
    KEY_LENGTH,
    KEY_PREFIX,
    Scope,
    display_key,
    generate_key,
    hash_key,
    is_well_formed,
    parse_scopes,
    pick_key,
)


def test_generated_keys_are_well_formed_and_carry_at_least_160_random_bits() -> None:
    key = generate_key()
    assert key.startswith(KEY_PREFIX) and len(key) == KEY_LENGTH
    assert is_well_formed(key)
    assert 30 * math.log2(62) >= 160


def test_keys_are_unique() -> None:
    assert len({generate_key() for _ in range(1000)}) == 1000


@given(st.integers(min_value=len(KEY_PREFIX), max_value=KEY_LENGTH - 1), st.sampled_from("0aZ9"))
def test_any_single_character_typo_breaks_the_checksum(position: int, replacement: str) -> None:
    key = generate_key()
    typo = key[:position] + replacement + key[position + 1 :]
    if typo != key:
        assert not is_well_formed(typo)


@pytest.mark.parametrize(
    "candidate",
    [
        "",
        "sk-empiriolabs-",
        "sk-abc",
        "Bearer x",
        generate_key()[:-1],
        generate_key() + "x",
        generate_key().replace("sk-", "pk-"),
    ],
)
def test_malformed_keys_are_rejected(candidate: str) -> None:
    assert not is_well_formed(candidate)


def test_hash_and_display_never_contain_the_secret_part() -> None:
    key = generate_key()
    secret = key[len(KEY_PREFIX) : -4]
    assert secret not in hash_key(key) and secret not in display_key(key)
    assert display_key(key).endswith(key[-4:])


def test_pick_key_takes_the_first_header_holding_a_well_formed_key() -> None:
    good, other = generate_key(), generate_key()
    assert pick_key([f"Bearer {good}", other]) == good
    assert pick_key(["Bearer not-a-key", other]) == other  # Claude Code sends both headers
    assert pick_key([None, f"bearer  {good} "]) == good
    broken = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert pick_key([f"Bearer {broken}", None]) is None
    assert pick_key([None, None]) is None


def test_scopes_are_validated_and_normalised() -> None:
    assert parse_scopes(["manage", "inference", "manage"]) == (Scope.INFERENCE, Scope.MANAGE)
    with pytest.raises(ValueError, match="unknown scope"):
        parse_scopes(["admin"])
    with pytest.raises(ValueError, match="at least one"):
        parse_scopes([])
