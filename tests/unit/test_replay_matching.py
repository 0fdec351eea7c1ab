"""The pure rules scenario files rely on: substitution, extraction, subset matching, problem codes,
and the serial-range check."""

from __future__ import annotations

import pytest

from ccer_tools.replay.matching import (
    ExtractError,
    UnboundVariable,
    extract,
    match,
    problem_codes,
    serial_problems,
    substitute,
)

# ------------------------------------------------------------------------------------- substitution


def test_a_whole_string_variable_keeps_its_type() -> None:
    assert substitute({"quantity": "${q}", "ids": ["${lot}"]}, {"q": 25000, "lot": "LOT-1"}) == {
        "quantity": 25000,
        "ids": ["LOT-1"],
    }


def test_variables_inside_text_and_dotted_fields_are_formatted_in() -> None:
    variables = {"app": {"id": "APP-7", "revision": 2}}
    assert (
        substitute("/api/v1/applications/${app.id}?rev=${app.revision}", variables)
        == "/api/v1/applications/APP-7?rev=2"
    )


def test_an_unknown_variable_names_itself_and_what_is_defined() -> None:
    with pytest.raises(UnboundVariable) as caught:
        substitute("/lots/${lot2}", {"lot1": "L1"})
    assert "${lot2}" in str(caught.value) and "lot1" in str(caught.value)


# ---------------------------------------------------------------------------------------- extraction


def test_extract_follows_fields_positions_and_filters() -> None:
    body = {"items": [{"id": "R1", "revision": 1}, {"id": "R2", "revision": 2}]}
    assert extract(body, "$") is body
    assert extract(body, "$.items[0].id") == "R1"
    assert extract(body, "$.items[-1].id") == "R2"
    assert extract(body, "$.items[revision=2].id") == "R2"


def test_extract_says_where_the_path_stops() -> None:
    with pytest.raises(ExtractError, match=r"\$ has no field 'lot_id'"):
        extract({"id": "x"}, "$.lot_id")
    with pytest.raises(ExtractError, match="no element with revision=3"):
        extract({"items": [{"revision": 1}]}, "$.items[revision=3]")


# ------------------------------------------------------------------------------------------ matching


def test_subset_matching_ignores_fields_the_scenario_does_not_name() -> None:
    actual = {"id": "N1", "obligation": 1000000, "fulfilled": 1000000, "status": "complete", "extra": [1, 2]}
    assert match({"fulfilled": 1000000, "status": "complete"}, actual) == []


def test_list_elements_match_in_any_order_each_against_a_different_element() -> None:
    actual = [{"code": "A", "item": 1}, {"code": "B", "item": 2}]
    assert match([{"code": "B"}, {"code": "A"}], actual) == []
    # Two expectations may not both claim the one element with code A.
    assert match([{"code": "A"}, {"code": "A"}], actual) != []


def test_a_mismatch_names_the_path_the_expected_and_the_seen_value() -> None:
    found = match(
        {"notice": {"fulfilled": 1000000, "status": "complete"}}, {"notice": {"fulfilled": 975000, "status": "open"}}
    )
    assert [str(m) for m in found] == [
        "$.notice.fulfilled: expected 1000000, saw 975000",
        '$.notice.status: expected "complete", saw "open"',
    ]


def test_a_missing_list_element_is_explained_against_the_closest_one() -> None:
    found = match(
        {"items": [{"lot_id": "L1", "recalled": 5000}]},
        {"items": [{"lot_id": "L1", "recalled": 0}, {"lot_id": "L2", "recalled": 20000}]},
    )
    assert len(found) == 1
    assert "$.items[0]" in str(found[0]) and "recalled: expected 5000, saw 0" in str(found[0])


def test_timestamps_match_as_instants_whatever_their_offset() -> None:
    assert match("2026-01-23T00:00:00+08:00", "2026-01-22T16:00:00Z") == []
    assert match("2026-01-23T00:00:00+08:00", "2026-01-23T00:00:00Z") != []


def test_booleans_are_not_numbers() -> None:
    assert match(1, True) != []
    assert match(True, True) == []


def test_operators_check_lengths_bounds_absence_and_exact_values() -> None:
    actual = {"findings": [{"code": "A"}, {"code": "B"}], "quantity": 5, "items": [1, 2]}
    assert match({"findings": {"$len": 2}, "quantity": {"$gte": 5, "$lt": 6}, "gone": {"$exists": False}}, actual) == []
    assert match({"items": {"$exact": [1, 2]}}, actual) == []
    assert match({"items": {"$exact": [2]}}, actual) != []
    assert [str(m) for m in match({"findings": {"$len": 3}}, actual)] == [
        '$.findings: expected length 3, saw 2: [{"code": "A"}, {"code": "B"}]'
    ]
    assert match({"quantity": {"$ne": None}}, actual) == []


def test_each_requires_every_element_to_match() -> None:
    checks = [{"code": "CAP", "passed": True}, {"code": "ETS", "passed": False}]
    assert [str(m) for m in match({"$each": {"passed": True}}, checks)] == ["$[1].passed: expected true, saw false"]
    assert match({"$each": {"passed": True}}, checks[:1]) == []
    assert match({"$each": {"passed": True}}, []) != []


def test_problem_codes_come_from_every_error_else_the_top_level_code() -> None:
    body = {
        "code": "VALIDATION_FAILED",
        "errors": [{"code": "OFFSET_CAP_EXCEEDED"}, {"code": "LOT_WITHIN_NATIONAL_ETS"}],
    }
    assert problem_codes(body) == ["OFFSET_CAP_EXCEEDED", "LOT_WITHIN_NATIONAL_ETS"]
    assert problem_codes({"code": "BINDING_ALREADY_ACTIVE", "errors": []}) == ["BINDING_ALREADY_ACTIVE"]
    assert problem_codes("not json") == []


# ------------------------------------------------------------------------------------------- serials


def row(project: str, **ranges: list[list[str]]) -> dict:
    sizes = {
        state: sum(int(b.rsplit("-", 1)[1]) - int(a.rsplit("-", 1)[1]) + 1 for a, b in pairs)
        for state, pairs in ranges.items()
    }
    return {"project_number": project, "origin": "new", "vintage": 2024, **sizes, "serial_ranges": ranges}


def s(project: str, n: int) -> str:
    return f"CCER-{project}-2024-{n}"


def test_disjoint_ranges_that_add_up_to_the_issuance_pass() -> None:
    rows = [
        row(
            "P1",
            available=[[s("P1", 1), s("P1", 30000)]],
            frozen=[[s("P1", 30001), s("P1", 35000)]],
            cancelled=[[s("P1", 35001), s("P1", 60000)]],
        )
    ]
    assert serial_problems(rows, {"P1": 60000}) == []


def test_overlapping_ranges_across_accounts_are_reported() -> None:
    rows = [row("P1", available=[[s("P1", 1), s("P1", 100)]]), row("P1", frozen=[[s("P1", 90), s("P1", 120)]])]
    problems = serial_problems(rows, {"P1": 131})
    assert any("overlap" in p and "CCER-P1-2024-90" in p for p in problems)
    assert "project P1: ranges add up to 131, issued 131" not in problems


def test_ranges_that_do_not_add_up_to_the_issuance_are_reported() -> None:
    rows = [row("P1", available=[[s("P1", 1), s("P1", 100)]])]
    assert serial_problems(rows, {"P1": 120}) == ["project P1: ranges add up to 100, issued 120"]
    assert serial_problems([], {"P2": 10}) == ["project P2: ranges add up to 0, issued 10"]


def test_a_quantity_that_disagrees_with_its_ranges_is_reported() -> None:
    bad = row("P1", available=[[s("P1", 1), s("P1", 100)]])
    bad["available"] = 90
    assert serial_problems([bad], {"P1": 100}) == [
        "project P1 (origin new, vintage 2024): available is 90 but its ranges hold 100 units"
    ]


def test_integer_serials_are_understood_too() -> None:
    rows = [{"project_number": "P1", "serial_ranges": {"available": [[1, 10]], "frozen": [[11, 15]]}}]
    assert serial_problems(rows, {"P1": 15}) == []
