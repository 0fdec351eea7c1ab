"""The simulated clock never moves backwards; the real clock cannot be set."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from shared.clock import Clock
from shared.errors import Conflict, Invalid
from shared.timeutil import CST

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=CST)


def test_a_fresh_simulated_clock_reads_wall_time_and_may_be_set_to_any_instant() -> None:
    clock = Clock("simulated")
    assert abs(clock.now() - datetime.now(CST)) < timedelta(seconds=5)
    clock.check_forward(datetime(2019, 1, 1, tzinfo=CST))  # the first set may go anywhere


def test_once_set_it_stays_at_the_instant_and_only_moves_forward() -> None:
    clock = Clock("simulated", fixed=T0)
    assert clock.now() == T0
    clock.check_forward(T0)  # standing still is allowed
    clock.check_forward(T0 + timedelta(days=300))
    with pytest.raises(Conflict) as refused:
        clock.check_forward(T0 - timedelta(seconds=1))
    assert refused.value.code == "CLOCK_BACKWARDS"


def test_now_is_shown_in_shanghai_time() -> None:
    clock = Clock("simulated", fixed=datetime(2025, 1, 22, 16, 0, tzinfo=CST).astimezone(tz=None))
    assert clock.now().utcoffset() == timedelta(hours=8)
    assert clock.now().hour == 16


def test_a_real_clock_cannot_be_set() -> None:
    with pytest.raises(Conflict) as refused:
        Clock("real").check_forward(T0)
    assert refused.value.code == "CLOCK_NOT_SIMULATED"


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(Invalid):
        Clock("simulated").check_forward(datetime(2025, 1, 1))
