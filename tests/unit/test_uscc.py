"""USCC check character (GB 32100-2015)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from shared.uscc import ALPHABET, check_character, is_valid_uscc, make_uscc, uscc_problems


def test_a_published_code_validates() -> None:
    assert is_valid_uscc("91350100M000100Y43")


def test_check_character_follows_the_weights() -> None:
    # 9 1 3 5 0 1 0 0 M 0 0 0 1 0 0 Y 4 → check 3 (worked by hand with weights 1,3,9,27,…).
    assert check_character("91350100M000100Y4") == "3"


def test_a_wrong_check_character_is_explained() -> None:
    problems = uscc_problems("91350100M000100Y44")
    assert problems == ["check character is 4, expected 3"]


def test_wrong_length_and_forbidden_letters_are_reported() -> None:
    assert uscc_problems("9135")[0].startswith("must be 18 characters")
    assert "characters not allowed: IOSVZ" in uscc_problems("91350100IOSVZ00Y43")[0]


@given(st.text(alphabet=ALPHABET, min_size=17, max_size=17))
def test_every_completed_code_is_valid_and_any_other_check_character_is_not(body: str) -> None:
    code = make_uscc(body)
    assert is_valid_uscc(code)
    for other in ALPHABET:
        if other != code[-1]:
            assert not is_valid_uscc(body + other)
