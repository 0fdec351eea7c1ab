"""Binding round trip against the running stack: POST /binding → allowance registry → `active`.

Prints p50/p95/p99 of the round trip and, as a baseline measured in the same run, the latency of a
bare persistent publish-with-confirm → consume hop on the same RabbitMQ (the floor any
event-driven round trip of two hops sits on).

    make run                      # in one terminal
    .venv/bin/python -m ccer_tools.bench.binding_roundtrip --n 100
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from datetime import UTC, datetime

import aio_pika
import httpx

from shared.auth import mint_token
from shared.settings import Settings
from shared.uscc import make_uscc


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def baseline(url: str, n: int) -> list[float]:
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        queue = await channel.declare_queue(
            f"bench-{uuid.uuid4().hex[:8]}", durable=True, arguments={"x-queue-type": "quorum"}
        )
        samples = []
        for _ in range(n):
            start = time.perf_counter()
            await channel.default_exchange.publish(
                aio_pika.Message(b"x" * 600, delivery_mode=aio_pika.DeliveryMode.PERSISTENT), routing_key=queue.name
            )
            while (message := await queue.get(fail=False)) is None:  # noqa: ASYNC110 - polling is the measurement
                await asyncio.sleep(0)
            await message.ack()
            samples.append(time.perf_counter() - start)
        await queue.delete(if_unused=False, if_empty=False)
        return samples
    finally:
        await connection.close()


async def roundtrips(settings: Settings, n: int) -> list[tuple[float, float]]:
    new = f"http://{settings.host}:{settings.new_ccer_registry_port}"
    allowance = f"http://{settings.host}:{settings.allowance_registry_port}"
    ri = {"Authorization": f"Bearer {mint_token(settings.secret, 'registry_initiator')}"}
    nc = {"Authorization": f"Bearer {mint_token(settings.secret, 'ncsc_operator')}"}
    admin = {"Authorization": f"Bearer {mint_token(settings.secret, 'sim_admin')}"}
    samples = []
    async with httpx.AsyncClient(timeout=30) as client:
        for i in range(n):
            org = make_uscc(f"91110000B{uuid.uuid4().int % 10**8:08d}")
            holder = {"name": f"基准单位{i}", "uscc": org}
            a = await client.post(
                f"{allowance}/api/v1/accounts",
                headers=ri,
                json={"holder": holder, "province": "110000", "account_type": "national_key_emitter"},
            )
            r = await client.post(
                f"{new}/api/v1/accounts",
                headers=nc,
                json={"holder": holder, "province": "110000", "account_type": "national_key_emitter"},
            )
            en = {"Authorization": f"Bearer {mint_token(settings.secret, 'enterprise', org=org)}"}
            rid = r.json()["id"]
            sent = datetime.now(UTC)
            answer = await client.post(
                f"{new}/api/v1/accounts/{rid}/binding", headers=en, json={"allowance_account_id": a.json()["id"]}
            )
            answer.raise_for_status()
            binding_id = answer.json()["binding_id"]
            # No busy polling (it would steal the 2 cores it measures): wait, then read the commit
            # instants the services recorded for this thread.
            for _ in range(100):
                await asyncio.sleep(0.05)
                events = (
                    await client.get(f"{new}/api/v1/admin/events", headers=admin, params={"correlation_id": binding_id})
                ).json()
                done = [e for e in events if e["direction"] == "consumed"]
                if done:
                    break
            else:
                raise RuntimeError(f"binding {binding_id} not answered")
            requested = next(e for e in events if e["direction"] == "produced")
            committed = datetime.fromisoformat(requested["recorded_at"])
            active = datetime.fromisoformat(done[0]["recorded_at"])
            samples.append(((active - sent).total_seconds(), (active - committed).total_seconds()))
    return samples


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=50)
    args = parser.parse_args()
    settings = Settings()
    base = await baseline(settings.amqp_url, args.n)
    trips = await roundtrips(settings, args.n)
    full = [t for t, _ in trips]
    hops = [h for _, h in trips]
    b50 = pct(base, 50) * 1000
    print(
        f"baseline bare publish→consume hop (quorum)   p50 {b50:7.2f} ms  p99 {pct(base, 99) * 1000:7.2f} ms  n={args.n}"
    )
    for label, values in (
        ("POST sent → binding active committed", full),
        ("request commit → binding active committed", hops),
    ):
        print(
            f"{label:44s} p50 {pct(values, 50) * 1000:7.2f} ms  p95 {pct(values, 95) * 1000:7.2f} ms  "
            f"p99 {pct(values, 99) * 1000:7.2f} ms  mean {statistics.mean(values) * 1000:7.2f} ms"
        )
    print(f"ratio (commit → active, 2 hops) p50 / baseline hop p50: {pct(hops, 50) * 1000 / b50:.1f}x")


if __name__ == "__main__":
    asyncio.run(main())
