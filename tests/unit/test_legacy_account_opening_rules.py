"""Opening through a legacy exchange (seed 000 §一 第一步), pure rules: the exchange's approval opens
the trading account; the registry account waits for NCSC's re-review unless the unit holds it."""

from __future__ import annotations

import pytest

from services.legacy_ccer_registry.domain.accounts import (
    ApplicationStatus,
    Decision,
    Opening,
    ReviewStage,
    Transition,
    opening,
    review,
)


@pytest.mark.parametrize(
    ("has_account", "status"),
    [(False, ApplicationStatus.awaiting_registry_review), (True, ApplicationStatus.opened)],
)
def test_the_exchanges_approval_opens_the_trading_account(has_account: bool, status: ApplicationStatus) -> None:
    assert review(ReviewStage.exchange, Decision.approve, has_account=has_account) == Transition(
        status, open_trading=True
    )


def test_ncscs_approval_opens_the_registry_account_and_a_rejection_opens_nothing() -> None:
    assert review(ReviewStage.registry, Decision.approve, has_account=False) == Transition(
        ApplicationStatus.opened, open_trading=True, open_registry=True
    )
    for stage in ReviewStage:
        assert review(stage, Decision.reject, has_account=False) == Transition(ApplicationStatus.returned)


def test_what_the_unit_holds_is_not_opened_again() -> None:
    exchange = review(ReviewStage.exchange, Decision.approve, has_account=False)
    registry = review(ReviewStage.registry, Decision.approve, has_account=False)

    assert opening(exchange, has_account=False, has_trading=False) == Opening(False, True)
    assert opening(registry, has_account=False, has_trading=True) == Opening(True, False)
    assert opening(registry, has_account=True, has_trading=False) == Opening(False, True)
