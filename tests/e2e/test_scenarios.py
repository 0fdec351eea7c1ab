"""The scenarios in scenarios/ replayed against the whole stack running as real processes: four
services on PostgreSQL (fresh databases) and a fresh RabbitMQ vhost, on free non-default ports."""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ccer_tools.replay import Endpoints, Replayer, load_scenario
from shared.settings import SERVICES, Settings
from tests.harness import AMQP_HOST, PG_BASE, create_vhost, delete_vhost, drop_databases

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
LEGACY = ROOT / "scenarios" / "2023_legacy_offset.yaml"
# The legacy scenario is replayed by its own test, which then traces one of its serials.
SCENARIOS = sorted(p for p in (ROOT / "scenarios").glob("*.yaml") if p != LEGACY)
SMOKE = ROOT / "tests" / "e2e" / "scenarios" / "binding_handshake.yaml"
READY_TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ProcessStack:
    env: dict[str, str]
    endpoints: Endpoints
    logs: Path
    procs: dict[str, subprocess.Popen[bytes]]

    def log_tail(self, lines: int = 40) -> str:
        out = []
        for name in self.procs:
            text = (self.logs / f"{name}.log").read_text(errors="replace").splitlines()
            out.append(f"--- {name} (last {lines} lines) ---\n" + "\n".join(text[-lines:]))
        return "\n".join(out)


def start_processes(env: dict[str, str], logs: Path) -> dict[str, subprocess.Popen[bytes]]:
    procs = {}
    for name in SERVICES:
        log = (logs / f"{name}.log").open("wb")
        procs[name] = subprocess.Popen(
            [sys.executable, "-m", f"services.{name}.entrypoints.app"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
    return procs


async def wait_ready(stack: ProcessStack) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    async with httpx.AsyncClient(timeout=2) as http:
        for name, url in stack.endpoints.urls.items():
            while True:
                if stack.procs[name].poll() is not None:
                    pytest.fail(f"{name} exited with {stack.procs[name].returncode}\n{stack.log_tail()}")
                try:
                    if (await http.get(f"{url}/readyz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"{name} not ready after {READY_TIMEOUT:g} s\n{stack.log_tail()}")
                await asyncio.sleep(0.2)


def stop_processes(procs: dict[str, subprocess.Popen[bytes]]) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            proc.terminate()
    for proc in procs.values():
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.fixture(scope="module")
async def stack() -> AsyncIterator[ProcessStack]:
    """The four services as processes on fresh PostgreSQL databases and a fresh vhost; torn down after."""
    vhost = create_vhost()
    prefix = f"e2e{uuid.uuid4().hex[:8]}"
    data = Path(tempfile.mkdtemp(prefix="ccer-e2e-"))
    ports = {name: free_port() for name in SERVICES}
    env = {
        **os.environ,
        "CCER_DB_URL": f"{PG_BASE}/{prefix}_{{service}}",
        "CCER_AMQP_URL": f"{AMQP_HOST}/{vhost}",
        "CCER_DATA_DIR": str(data),
        "CCER_CLOCK": "simulated",
        "CCER_RELAY_POLL_SECONDS": "0.5",
        "CCER_SCHEDULER_RETRY_SECONDS": "0.5",
        "CCER_LOG_LEVEL": "WARNING",
        **{f"CCER_{name.upper()}_PORT": str(port) for name, port in ports.items()},
    }
    endpoints = Endpoints(
        urls={name: f"http://127.0.0.1:{port}" for name, port in ports.items()},
        amqp_url=env["CCER_AMQP_URL"],
        secret=Settings().secret,
    )
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        procs = start_processes(env, data)
        running = ProcessStack(env=env, endpoints=endpoints, logs=data, procs=procs)
        await wait_ready(running)
        yield running
    finally:
        stop_processes(procs)
        # Only once the services have let go of their connections.
        await drop_databases(prefix)
        delete_vhost(vhost)
        shutil.rmtree(data, ignore_errors=True)


async def replay(stack: ProcessStack, path: Path) -> None:
    out = io.StringIO()
    async with Replayer(stack.endpoints, out=out, quiet_timeout=60) as replayer:
        result = await replayer.run(load_scenario(path))
    report = out.getvalue()
    print(report)
    print(f"{result.name}: replayed in {result.wall_seconds:.1f} s wall time")
    assert result.ok, f"{report}\n{stack.log_tail()}"


async def test_the_replay_command_drives_the_binding_handshake(stack: ProcessStack, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "ccer_tools.cli", "replay", str(SMOKE)]
    passed = await asyncio.to_thread(
        subprocess.run, command, cwd=ROOT, env=stack.env, capture_output=True, text=True, timeout=300
    )
    print(passed.stdout)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "✓ binding handshake: 4 steps" in passed.stdout

    broken = tmp_path / "broken.yaml"
    broken.write_text(
        SMOKE.read_text().replace(
            "match: {status: active, allowance_account_id", "match: {status: rejected, allowance_account_id"
        )
    )
    failed = await asyncio.to_thread(
        subprocess.run,
        [*command[:-1], str(broken)],
        cwd=ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert '$.status: expected "rejected", saw "active"' in failed.stdout


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
async def test_scenario_replays_against_the_running_stack(stack: ProcessStack, path: Path) -> None:
    await replay(stack, path)


async def test_the_legacy_scenario_replays_and_one_serial_is_traced_across_three_registries(
    stack: ProcessStack,
) -> None:
    await replay(stack, LEGACY)

    traced = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "ccer_tools.cli", "trace", "VER-1312-2015-17"],
        cwd=ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    print(traced.stdout)
    assert traced.returncode == 0, traced.stdout + traced.stderr
    chain = [line.split()[2:4] for line in traced.stdout.splitlines() if line[:4].strip().rstrip(".").isdigit()]
    assert chain == [
        ["legacy_ccer_registry", "issuance"],
        ["legacy_ccer_registry", "trade"],
        ["legacy_ccer_registry", "transfer"],
        ["legacy_ccer_registry", "cancellation"],
        ["legacy_ccer_registry", "sync_sent"],
        ["new_ccer_registry", "sync_in"],
        ["legacy_ccer_registry", "sync"],
        ["new_ccer_registry", "confirmation"],
        ["new_ccer_registry", "frozen"],
        ["allowance_registry", "pending_offset"],
        ["allowance_registry", "reserved"],
        ["allowance_registry", "registered"],
        ["new_ccer_registry", "cancellation"],
    ], traced.stdout
