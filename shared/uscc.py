"""Unified social credit code (GB 32100-2015) validation."""

from __future__ import annotations

__all__ = ["ALPHABET", "check_character", "is_valid_uscc", "make_uscc", "uscc_problems", "uscc_problems_bilingual"]

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {c: i for i, c in enumerate(ALPHABET)}


def check_character(first17: str) -> str:
    total = sum(_VALUE[c] * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def uscc_problems_bilingual(value: str) -> list[tuple[str, str]]:
    """Why ``value`` is not a USCC, in English and in Chinese; empty when it is one."""
    if len(value) != 18:
        return [(f"must be 18 characters, got {len(value)}", f"须为 18 位，实际为 {len(value)} 位")]
    bad = "".join(sorted({c for c in value if c not in _VALUE}))
    if bad:
        return [
            (
                f"characters not allowed: {bad} (allowed: 0-9 and A-H J-N P Q R T U W X Y)",
                f"含有不允许的字符 {bad}（允许：数字 0-9 及除 I、O、S、V、Z 以外的大写字母）",
            )
        ]
    expected = check_character(value[:17])
    if value[17] != expected:
        return [(f"check character is {value[17]}, expected {expected}", f"校验码为 {value[17]}，应为 {expected}")]
    return []


def uscc_problems(value: str) -> list[str]:
    """Why ``value`` is not a USCC; empty when it is one."""
    return [en for en, _ in uscc_problems_bilingual(value)]


def is_valid_uscc(value: str) -> bool:
    return not uscc_problems(value)


def make_uscc(first17: str) -> str:
    """Complete 17 characters with their check character (fixtures, scenario files)."""
    return first17 + check_character(first17)
