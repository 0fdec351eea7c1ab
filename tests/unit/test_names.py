"""Unit names as typed on the sync form: width and spacing are not differences, anything else is."""

from __future__ import annotations

from shared.names import normalise_name, same_name


def test_full_width_parentheses_and_spaces_are_the_same_name() -> None:
    assert same_name(" 华能（北京）热电有限公司　", "华能(北京)热电有限公司")
    assert same_name("ＡＢＣ  Power   Co.", "ABC Power Co.")
    assert normalise_name("华能（北京）　热电") == "华能(北京) 热电"


def test_other_differences_are_different_names() -> None:
    assert not same_name("华能北京热电有限公司", "华能(北京)热电有限公司")
    assert not same_name("某热电有限公司", "某热电有限责任公司")
