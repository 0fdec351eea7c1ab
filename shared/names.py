"""Unit names (单位名称) as people type them: the sync form's name is matched to an account holder's.

Two spellings are the same name when they differ only in width or spacing: Unicode NFKC folds
full-width forms to half-width (``（`` → ``(``, ``Ａ`` → ``A``, the ideographic space → a space),
then leading and trailing spaces go and every run of spaces inside becomes one. Nothing else is
forgiven: ``有限公司`` and ``有限责任公司`` are different names."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalise_name", "same_name"]

_SPACES = re.compile(r"\s+")


def normalise_name(name: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", name)).strip()


def same_name(a: str, b: str) -> bool:
    return normalise_name(a) == normalise_name(b)
