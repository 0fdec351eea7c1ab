"""The benchmark's arithmetic: percentiles, drain shares, per-unit cost and the targets it prints."""

from __future__ import annotations

from benchmarks.figures import Phase, percentile, totals


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) == 0.0


def test_totals_count_only_the_cycle_and_pick_the_busiest_phase() -> None:
    setup = Phase("setup", wall_s=10.0, events=0, cpu_s={"a#1": 5.0})
    bind = Phase("bind", wall_s=2.0, drain_s=1.0, events=400, cpu_s={"a#1": 1.0, "b#1": 1.0})
    review = Phase("review", wall_s=4.0, drain_s=0.4, events=1200, cpu_s={"a#1": 2.0, "b#1": 2.0})
    t = totals(
        100,
        [setup, bind, review],
        publish_rate=6000.0,
        hop_ms=[1.0, 2.0, 30.0],
        rss_mb=[90.0, 160.0],
        counted=("bind", "review"),
    )
    assert t.wall_s == 6.0
    assert t.cpu_ms_per_unit == 60.0  # 6 CPU s over 100 units; set-up excluded
    assert t.busiest_phase == "review" and t.busiest_events_per_s == 300.0
    assert t.busiest_ratio == 0.05
    assert t.max_drain_share == 0.5
    met = {figure.split()[0]: ok for figure, _, ok in t.targets()}
    assert met == {"service": False, "busiest": True, "drain": False, "hop": False, "RSS": False}
    assert "units=100" in t.summary("postgres", 1)
