"""The fault table's checker sorts a unit or lot by the worst thing found: a doubled effect before a
missing one before anything else odd."""

from __future__ import annotations

from tests.faults.load import Tally, _compare


def test_a_surplus_is_duplicated_a_shortfall_lost_and_an_exact_figure_ok() -> None:
    lost: list[str] = []
    duplicated: list[str] = []
    _compare("registered", 10_000, 5_000, lost, duplicated)
    _compare("recalled", None, 3_000, lost, duplicated)
    _compare("cancelled", 5_000, 5_000, lost, duplicated)
    assert duplicated == ["registered 10000 > 5000"]
    assert lost == ["recalled None < 3000"]


def test_each_thing_is_counted_once_under_its_worst_finding() -> None:
    tally = Tally()
    tally.sort("lot A", ["recalled 0 < 3000"], ["registered 10000 > 5000"], ["available 1"])
    tally.sort("lot B", ["not in the new registry"], [], ["available 1"])
    tally.sort("unit 3", [], [], ["available 1"])
    tally.sort("unit 4", [], [], [])
    assert (tally.ok, tally.lost, tally.duplicated, tally.unexpected) == (1, 1, 1, 1)
    assert tally.notes[0].startswith("lot A: registered 10000 > 5000")
