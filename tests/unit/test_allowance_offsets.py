"""Pending offsets: refusal reasons, a lot's arithmetic and status, recall of the unreserved remainder;
and a notice's CCER offsettable quantity."""

from __future__ import annotations

from services.allowance_registry.domain.notices import Progress, ccer_offsettable, issuance_findings
from services.allowance_registry.domain.offsets import (
    AccountState,
    BindingState,
    LotBalance,
    offset_refusal_findings,
    split_for_recall,
)

ORG = "91110000MA0000000X"


def reasons(account: AccountState | None, binding: BindingState | None, holder: str = ORG) -> set[str]:
    return {
        f.code
        for f in offset_refusal_findings(
            account, binding, allowance_account_id="ALA-1", registry_account_id="NRA-1", holder_uscc=holder
        )
    }


def test_a_lot_of_a_bound_account_is_accepted() -> None:
    assert reasons(AccountState(ORG, "active"), BindingState("NRA-1", ORG)) == set()


def test_every_reason_to_refuse_a_lot_is_given() -> None:
    assert reasons(None, None) == {"ALLOWANCE_ACCOUNT_NOT_FOUND", "NO_ACTIVE_BINDING"}
    assert reasons(AccountState(ORG, "closed"), None) == {"ALLOWANCE_ACCOUNT_INACTIVE", "NO_ACTIVE_BINDING"}
    assert reasons(AccountState(ORG, "active"), BindingState("NRA-1", ORG), holder="91110000MA0000001Y") == {
        "HOLDER_USCC_MISMATCH",
        "BINDING_HOLDER_MISMATCH",
    }


def test_a_lot_is_pending_while_anything_is_left_then_offset_or_recalled() -> None:
    assert LotBalance(100).status == "pending"
    assert LotBalance(100, reserved=100).status == "pending"
    assert LotBalance(100, registered=30, recalled=70).status == "offset"
    assert LotBalance(100, recalled=100).status == "recalled"
    assert LotBalance(100, reserved=20, registered=30, recalled=10).available == 40


def test_the_recall_takes_only_the_unreserved_remainder() -> None:
    split = split_for_recall(LotBalance(100, reserved=30, registered=20))

    assert (split.recall_now, split.held_back) == (50, 30)
    assert split_for_recall(LotBalance(100, registered=100)).recall_now == 0


def test_ccer_offsettable_is_the_cap_less_registered_and_under_review_never_negative() -> None:
    assert ccer_offsettable(1_000_000, 500, 0, 0) == 50_000
    assert ccer_offsettable(1_000_000, 500, 20_000, 30_000) == 0
    assert ccer_offsettable(1_000_000, 500, 20_000, 40_000) == 0
    assert ccer_offsettable(999, 500, 0, 0) == 49


def test_a_notice_is_complete_when_fulfilled_reaches_the_obligation() -> None:
    assert Progress(1_000_000, 1_000_000).status == "complete"
    assert Progress(1_000_000, 999_999).status == "open"


def test_a_notice_is_refused_for_every_reason_at_once() -> None:
    found = issuance_findings(
        period_code="2024",
        period_active=False,
        account_type="local_key_emitter",
        account_status="active",
        provincial_total=None,
        already_issued_in_province=0,
        obligation=10,
        existing_notice=True,
    )

    assert {f.code for f in found} == {
        "PERIOD_NOT_ACTIVE",
        "NOT_NATIONAL_KEY_EMITTER",
        "NOTICE_EXISTS",
        "PROVINCIAL_NOTICE_MISSING",
    }
    over = issuance_findings(
        period_code="2024",
        period_active=True,
        account_type="national_key_emitter",
        account_status="active",
        provincial_total=100,
        already_issued_in_province=60,
        obligation=41,
        existing_notice=False,
    )
    assert [f.code for f in over] == ["PROVINCIAL_TOTAL_EXCEEDED"]
