"""The stack under test: every service as real processes (``REPLICAS`` per service sharing one
database and one set of queues) on fresh PostgreSQL databases or SQLite files, and a fresh vhost."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.settings import SERVICES

ROOT = Path(__file__).resolve().parents[1]
PG_BASE = os.environ.get("CCER_BENCH_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432")
AMQP_HOST = os.environ.get("CCER_BENCH_AMQP", "amqp://guest:guest@127.0.0.1:5672")
READY_TIMEOUT = 120.0
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=60)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (from /proc: no extra dependency)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@dataclass
class Process:
    service: str
    replica: int
    port: int
    popen: subprocess.Popen[bytes]

    @property
    def name(self) -> str:
        return f"{self.service}#{self.replica}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Stack:
    db: str
    replicas: int
    amqp_url: str
    data: Path
    processes: list[Process] = field(default_factory=list)

    def urls(self, service: str) -> list[str]:
        return [p.url for p in self.processes if p.service == service]

    def cpu(self) -> dict[str, float]:
        return {p.name: cpu_seconds(p.popen.pid) for p in self.processes}

    def rss(self) -> dict[str, float]:
        return {p.name: rss_mb(p.popen.pid) for p in self.processes}

    def log_tail(self, lines: int = 30) -> str:
        out = []
        for p in self.processes:
            log = self.data / f"{p.name}.log"
            text_ = log.read_text(errors="replace").splitlines() if log.exists() else []
            out.append(f"--- {p.name} ---\n" + "\n".join(text_[-lines:]))
        return "\n".join(out)


async def _drop_databases(prefix: str) -> None:
    engine = create_async_engine(f"{PG_BASE}/postgres", isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": f"{prefix}%"}
            )
            for name in rows.scalars().all():
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await engine.dispose()


async def _wait_ready(stack: Stack) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    async with httpx.AsyncClient(timeout=2) as http:
        for p in stack.processes:
            while True:
                if p.popen.poll() is not None:
                    raise RuntimeError(f"{p.name} exited with {p.popen.returncode}\n{stack.log_tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(f"{p.url}/readyz")).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{p.name} not ready after {READY_TIMEOUT:g} s\n{stack.log_tail()}")
                await asyncio.sleep(0.2)


def _start(stack: Stack, env: dict[str, str], service: str, replica: int) -> Process:
    port = free_port()
    log = (stack.data / f"{service}#{replica}.log").open("wb")
    popen = subprocess.Popen(
        [sys.executable, "-m", f"services.{service}.entrypoints.app"],
        cwd=ROOT,
        env={**env, f"CCER_{service.upper()}_PORT": str(port)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    return Process(service, replica, port, popen)


@contextlib.asynccontextmanager
async def running_stack(db: str, replicas: int) -> AsyncIterator[Stack]:
    if db not in ("postgres", "sqlite"):
        raise ValueError("DB must be postgres or sqlite")
    if db == "sqlite" and replicas != 1:
        raise ValueError("REPLICAS > 1 needs DB=postgres (SQLite files are one writer per service)")
    vhost = f"ccer-bench-{uuid.uuid4().hex[:8]}"
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    data = Path(tempfile.mkdtemp(prefix="ccer-bench-"))
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    stack = Stack(db=db, replicas=replicas, amqp_url=f"{AMQP_HOST}/{vhost}", data=data)
    env = {
        **os.environ,
        "CCER_AMQP_URL": stack.amqp_url,
        "CCER_DATA_DIR": str(data),
        "CCER_CLOCK": "simulated",
        "CCER_LOG_LEVEL": "WARNING",
    }
    if db == "postgres":
        env["CCER_DB_URL"] = f"{PG_BASE}/{prefix}_{{service}}"
    else:
        env.pop("CCER_DB_URL", None)
    try:
        # The first replica of each service creates its database and runs the migrations alone.
        for service in SERVICES:
            stack.processes.append(_start(stack, env, service, 1))
        await _wait_ready(stack)
        for replica in range(2, replicas + 1):
            for service in SERVICES:
                stack.processes.append(_start(stack, env, service, replica))
        await _wait_ready(stack)
        yield stack
    finally:
        for p in stack.processes:
            if p.popen.poll() is None:
                p.popen.terminate()
        for p in stack.processes:
            try:
                p.popen.wait(20)
            except subprocess.TimeoutExpired:
                p.popen.kill()
                p.popen.wait(5)
        if db == "postgres":
            await _drop_databases(prefix)
        with contextlib.suppress(Exception):
            rabbitmqctl("delete_vhost", vhost)
        shutil.rmtree(data, ignore_errors=True)
