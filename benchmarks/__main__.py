"""``python -m benchmarks --units 200 --db postgres --replicas 1`` (or ``make bench UNITS=200``)."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import sys
import time
from pathlib import Path

import asyncpg

from benchmarks.baselines import confirmed_publish_rate, postgres_insert_rate
from benchmarks.cycle import CYCLE_PHASES, Driver, Mismatch, Unit
from benchmarks.figures import Phase, percentile, totals
from benchmarks.hop import hop_latency
from benchmarks.stack import PG_BASE, running_stack

TAG_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _tag() -> str:
    return "".join(random.choice(TAG_CHARS) for _ in range(3))


def _print_phases(phases: list[Phase], processes: list[str]) -> None:
    print(
        f"\n{'phase':8s} {'wall s':>8s} {'drain s':>8s} {'drain%':>7s} {'calls':>7s} {'p50 ms':>8s} {'p95 ms':>8s} {'events':>7s} {'ev/s':>7s} {'stmts':>7s}  CPU s per process"
    )
    for p in phases:
        d = p.as_dict()
        cpu = " ".join(f"{name.split('_')[0][:5]}{name.split('#')[1]}={p.cpu_s.get(name, 0):.1f}" for name in processes)
        print(
            f"{p.name:8s} {p.wall_s:8.2f} {p.drain_s:8.2f} {p.drain_share:7.0%} {p.calls:7d} {d['p50_ms']:8.1f} "
            f"{d['p95_ms']:8.1f} {p.events:7d} {p.events_per_s:7.0f} {p.statements:7d}  {cpu}"
        )


async def main(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    async with running_stack(args.db, args.replicas) as stack:
        print(
            f"stack: {len(stack.processes)} processes ({args.replicas} per service) on {args.db}, vhost {stack.amqp_url.rsplit('/', 1)[1]}"
        )
        publish = await confirmed_publish_rate(stack.amqp_url)
        print(f"baseline: confirmed publish to a quorum queue (persistent, 64 in flight): {publish:,.0f} msg/s")
        try:
            inserts = await postgres_insert_rate(PG_BASE.replace("+asyncpg", "") + "/postgres")
            print(f"baseline: PostgreSQL single-row inserts, 16 clients: {inserts:,.0f} rows/s")
        except (OSError, asyncpg.PostgresError) as exc:  # DB=sqlite needs no PostgreSQL
            inserts = 0.0
            print(f"baseline: PostgreSQL inserts not measured ({type(exc).__name__}: {exc})")
        rss_rest = stack.rss()
        driver = Driver(stack, args.units, args.concurrency, _tag())
        hop_units = [
            Unit(i, u.uscc, u.name, u.province, u.token)
            for i, u in enumerate(Driver(stack, int(args.hop_rate * args.hop_seconds), 1, _tag()).units)
        ]
        try:
            phases = [await driver.run_phase("setup", driver.setup)]

            async def open_accounts(u: Unit) -> None:
                holder = {"name": u.name, "uscc": u.uscc}
                a = await driver.call(
                    "POST",
                    "allowance",
                    "/accounts",
                    driver.tokens["registry_maker"],
                    {
                        "holder": holder,
                        "province": u.province,
                        "account_type": "national_key_emitter",
                        "sector": "power",
                    },
                    201,
                )
                n = await driver.call(
                    "POST",
                    "new",
                    "/accounts",
                    driver.tokens["ncsc"],
                    {"holder": holder, "account_type": "national_key_emitter", "province": u.province},
                    201,
                )
                u.allowance_account, u.ccer_account = a["id"], n["id"]

            await driver.each(open_accounts, hop_units)
            await driver.wait_quiet()
            # Two events per binding: rate_per_s bindings/s = 2 × rate events/s.
            hops, trips = await hop_latency(driver, hop_units, args.hop_rate)
            await driver.wait_quiet()
            print(
                f"hop at {2 * args.hop_rate:.0f} events/s ({len(hops)} samples): commit → consumer p50 {percentile(hops, 50):.1f} ms, "
                f"p99 {percentile(hops, 99):.1f} ms; binding round trip (2 hops) p50 {percentile(trips, 50):.1f} ms, p99 {percentile(trips, 99):.1f} ms"
            )
            phases += await driver.phases()
            problems = await driver.verify()
        except Mismatch as exc:
            print(f"\n✗ the cycle failed: {exc}\n{stack.log_tail(15)}", file=sys.stderr)
            return 1
        finally:
            await driver.close()
        rss_end = stack.rss()
        names = [p.name for p in stack.processes]
        _print_phases(phases, names)
        print("\nRSS MB at rest / at the end: " + ", ".join(f"{n}={rss_rest[n]:.0f}/{rss_end[n]:.0f}" for n in names))
        t = totals(args.units, phases, publish, hops, list(rss_end.values()) + list(rss_rest.values()), CYCLE_PHASES)
        print(
            f"\nservice CPU: {t.cpu_s:.1f} s in all, {t.cpu_ms_per_unit:.1f} ms per unit; events {t.events} in {t.wall_s:.1f} s"
        )
        print(
            f"ratio: busiest phase events/s ÷ confirmed publish = {t.busiest_ratio:.3f}; ÷ PostgreSQL inserts = "
            + (f"{t.busiest_events_per_s / inserts:.4f}" if inserts else "n/a")
        )
        print("\ntargets (issue 10; informational):")
        for figure, target, met in t.targets():
            print(f"  {'✓' if met else '✗'} {figure} (target {target})")
        if problems:
            print(f"\n✗ {len(problems)} quantity mismatch(es):", file=sys.stderr)
            for p in problems[:50]:
                print(f"  {p}", file=sys.stderr)
        else:
            print(
                f"\n✓ every quantity exact for {args.units} units (notices, pending offsets, lots, holdings, reconciliations, 0 DLQ)"
            )
        print(t.summary(args.db, args.replicas) + f", total {time.perf_counter() - started:.0f} s")
        if args.json:
            await asyncio.to_thread(
                Path(args.json).write_text,
                json.dumps(
                    {
                        "units": args.units,
                        "db": args.db,
                        "replicas": args.replicas,
                        "publish_rate": publish,
                        "insert_rate": inserts,
                        "phases": [p.as_dict() for p in phases],
                        "hop_ms": {"p50": percentile(hops, 50), "p99": percentile(hops, 99)},
                        "round_trip_ms": {"p50": percentile(trips, 50), "p99": percentile(trips, 99)},
                        "rss_rest": rss_rest,
                        "rss_end": rss_end,
                        "summary": t.summary(args.db, args.replicas),
                        "cpu_ms_per_unit": t.cpu_ms_per_unit,
                        "statements_per_unit": t.statements_per_unit,
                        "units_per_s": t.units_per_s,
                        "busiest_ratio": t.busiest_ratio,
                    },
                    indent=2,
                    ensure_ascii=False,
                ),
            )
        return 1 if problems else 0


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--units", type=int, default=200, help="key emitting units taken through the cycle (1-20000)")
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--replicas", type=int, default=1, choices=(1, 2, 3, 4), help="processes per service")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight at most (1-256)")
    parser.add_argument(
        "--hop-rate", type=float, default=100.0, help="bindings per second for the hop figure (2 events each)"
    )
    parser.add_argument("--hop-seconds", type=float, default=3.0)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    if (
        not 1 <= args.units <= 20_000
        or not 1 <= args.concurrency <= 256
        or not 1 <= args.hop_rate <= 1000
        or not 0.5 <= args.hop_seconds <= 60
    ):
        parser.error("out of range: units 1-20000, concurrency 1-256, hop-rate 1-1000, hop-seconds 0.5-60")
    return args


def _interrupted(signum: int, frame: object) -> None:
    # SIGTERM (CI's timeout, `kill`) ends the run like Ctrl-C: the stack's processes, databases and
    # vhost are removed by running_stack's cleanup instead of being left behind.
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _interrupted)
    sys.exit(asyncio.run(main(parse())))
