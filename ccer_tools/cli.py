"""``ccer``: the project's command line (tokens, running the stack, migrations, topology, AsyncAPI, DLQ, replay)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from shared.settings import SERVICES, Settings

app = typer.Typer(help="CCER offset registries simulator — CCER 抵销配额清缴模拟系统", no_args_is_help=True)
ROOT = Path(__file__).resolve().parent.parent


@app.command()
def token(
    role: Annotated[
        str,
        typer.Option(
            help="enterprise, province_initiator, province_confirmer, registry_initiator, "
            "registry_confirmer, ncsc_operator, exchange_operator, sim_admin"
        ),
    ],
    sub: Annotated[Optional[str], typer.Option(help="user id (two-person rules compare it)")] = None,  # noqa: UP045
    org: Annotated[Optional[str], typer.Option(help="USCC, for enterprise")] = None,  # noqa: UP045
    province: Annotated[Optional[str], typer.Option(help="division code, for province roles")] = None,  # noqa: UP045
    exchange: Annotated[Optional[str], typer.Option(help="exchange code, for exchange_operator")] = None,  # noqa: UP045
    hours: Annotated[
        int, typer.Option(help="validity (at most CCER_TOKEN_MAX_LIFETIME_SECONDS, 24 h by default)")
    ] = 12,
) -> None:
    """Mint a JWT for any role (signed with CCER_JWT_SECRET or the simulation default)."""
    from shared.auth import mint_token

    settings = Settings()
    if not 0 < hours * 3600 <= settings.token_max_lifetime_seconds:
        typer.echo(
            f"error: --hours must be between 1 and {settings.token_max_lifetime_seconds // 3600} "
            "(the services refuse a token that lives longer: CCER_TOKEN_MAX_LIFETIME_SECONDS)",
            err=True,
        )
        raise typer.Exit(2)
    try:
        typer.echo(
            mint_token(
                settings.secret,
                role,
                sub=sub,
                org=org,
                province=province,
                exchange=exchange,
                ttl_seconds=hours * 3600,
            )
        )
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


@app.command()
def uscc(first17: str) -> None:
    """Complete 17 characters with their GB 32100 check character."""
    from shared.uscc import ALPHABET, make_uscc

    bad = sorted({c for c in first17 if c not in ALPHABET})
    if len(first17) != 17 or bad:
        typer.echo(
            f"error: give exactly 17 characters from {ALPHABET} (got {len(first17)}"
            + (f"; not allowed: {''.join(bad)}" if bad else "")
            + ")",
            err=True,
        )
        raise typer.Exit(2)
    typer.echo(make_uscc(first17))


@app.command()
def topology(out: Annotated[Path, typer.Option()] = ROOT / "deploy" / "rabbitmq" / "definitions.json") -> None:
    """Write the RabbitMQ definitions generated from the topology code."""
    from shared.messaging.topology import definitions

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(definitions(), indent=2) + "\n")
    typer.echo(f"wrote {out}")


@app.command()
def asyncapi(out: Annotated[Path, typer.Option()] = ROOT / "docs" / "asyncapi.yaml") -> None:
    """Write the AsyncAPI 3.0 document of the events, generated from the event catalogue and the topology."""
    from shared.asyncapi import document, to_yaml

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(to_yaml(document()))
    typer.echo(f"wrote {out}")


@app.command()
def revision(service: str, message: Annotated[str, typer.Option("-m")] = "schema") -> None:
    """Autogenerate an Alembic revision for SERVICE against a scratch SQLite database."""
    from alembic import command
    from alembic.config import Config

    if service not in SERVICES:
        raise typer.BadParameter(f"one of {', '.join(SERVICES)}")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CCER_DATA_DIR"] = tmp
        os.environ.pop("CCER_DB_URL", None)
        cfg = Config()
        cfg.set_main_option("script_location", str(ROOT / "services" / service / "migrations"))
        command.upgrade(cfg, "head")
        command.revision(cfg, message=message, autogenerate=True)


def _amqp_reachable(url: str) -> bool:
    from urllib.parse import urlparse

    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "localhost", parsed.port or 5672), timeout=1):
            return True
    except OSError:
        return False


def ensure_rabbitmq(url: str) -> None:
    if _amqp_reachable(url):
        return
    server = shutil.which("rabbitmq-server")
    if server is None:
        typer.echo(
            "RabbitMQ is not reachable at CCER_AMQP_URL and is not installed here.\n"
            "Install it (Debian/Ubuntu: apt-get install rabbitmq-server) or point CCER_AMQP_URL at a broker.",
            err=True,
        )
        raise typer.Exit(1)
    typer.echo("RabbitMQ not reachable; starting the local node (rabbitmq-server -detached) …")
    subprocess.run([server, "-detached"], check=False)
    for _ in range(60):
        if _amqp_reachable(url):
            time.sleep(2)
            return
        time.sleep(1)
    typer.echo("RabbitMQ did not come up within 60 s; see /var/log/rabbitmq.", err=True)
    raise typer.Exit(1)


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def ensure_management_ui(url: str) -> str | None:
    """Best effort: operators watch the queues in RabbitMQ's management UI (port 15672)."""
    from urllib.parse import urlparse

    host = urlparse(url).hostname or "localhost"
    if not _port_open(host, 15672) and host in ("localhost", "127.0.0.1") and shutil.which("rabbitmq-plugins"):
        subprocess.run(
            ["rabbitmq-plugins", "enable", "--quiet", "rabbitmq_management"],
            check=False,
            capture_output=True,
            timeout=120,
        )
        for _ in range(20):
            if _port_open(host, 15672):
                break
            time.sleep(0.5)
    return f"http://{host}:15672 (guest/guest)" if _port_open(host, 15672) else None


@app.command()
def run(
    services: Annotated[Optional[list[str]], typer.Argument(help="services to start (default: all four)")] = None,  # noqa: UP045
) -> None:
    """Start the services in the foreground (Ctrl-C stops everything)."""
    settings = Settings()
    chosen = services or list(SERVICES)
    ensure_rabbitmq(settings.amqp_url)
    management = ensure_management_ui(settings.amqp_url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    procs: list[subprocess.Popen[bytes]] = []
    for name in chosen:
        procs.append(subprocess.Popen([sys.executable, "-m", f"services.{name}.entrypoints.app"], cwd=ROOT))
    typer.echo("")
    for name in chosen:
        port = settings.port(name)
        typer.echo(f"  {name:22s} http://{settings.host}:{port}/docs")
    db = settings.db_url or f"SQLite under {settings.data_dir.resolve()}"
    typer.echo(f"\n  database: {db}\n  broker:   {settings.amqp_url}")
    if management:
        typer.echo(f"  queues:   {management}")
    typer.echo("  Ctrl-C stops everything.\n")

    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while True:
            if any(p.poll() is not None for p in procs):
                if not stopping:
                    typer.echo("a service exited; stopping the others", err=True)
                stop()
                break
            time.sleep(0.5)
    finally:
        deadline = time.time() + 10
        for p in procs:
            try:
                p.wait(max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                p.kill()
    codes = [p.returncode for p in procs]
    raise typer.Exit(0 if stopping and all(c in (0, -2, 130) for c in codes) else 1)


dlq_app = typer.Typer(help="Dead-lettered messages — 死信队列", no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")


@dlq_app.command("list")
def dlq_list(
    service: Annotated[Optional[list[str]], typer.Option(help="service (repeatable); default all")] = None,  # noqa: UP045
    limit: int = 100,
    show_body: Annotated[bool, typer.Option("--body")] = False,
) -> None:
    """List dead-lettered messages (they stay in the DLQ)."""
    import asyncio

    from rich.console import Console
    from rich.table import Table

    from shared.messaging.dlq import list_dead_letters

    letters = asyncio.run(list_dead_letters(Settings().amqp_url, service, limit))
    table = Table("service", "event_id", "event_type", "reason", "count", *(["body"] if show_body else []))
    for d in letters:
        table.add_row(
            d.service,
            d.message_id or "-",
            d.event_type or "-",
            d.reason or "-",
            str(d.count),
            *([d.body] if show_body else []),
        )
    Console().print(table)
    typer.echo(f"{len(letters)} dead-lettered message(s)")


@dlq_app.command("republish")
def dlq_republish(
    service: Annotated[Optional[list[str]], typer.Option(help="service (repeatable); default all")] = None,  # noqa: UP045
    event_id: Annotated[Optional[str], typer.Option(help="only this event")] = None,  # noqa: UP045
    limit: int = 100,
) -> None:
    """Re-publish dead-lettered messages to the queue they died in (its inbox absorbs duplicates)."""
    import asyncio

    from shared.messaging.dlq import republish_dead_letters

    moved = asyncio.run(republish_dead_letters(Settings().amqp_url, service, limit, event_id))
    typer.echo(f"re-published {moved} message(s)")


@app.command()
def replay(
    files: Annotated[list[Path], typer.Argument(help="scenario files (YAML), replayed in order")],
    base_url_template: Annotated[
        str, typer.Option(help="service base URL; {port} is CCER_<SERVICE>_PORT, {host} CCER_HOST, {service} the name")
    ] = "http://{host}:{port}",
    amqp_url: Annotated[Optional[str], typer.Option(help="broker URL, vhost included (default CCER_AMQP_URL)")] = None,  # noqa: UP045
    quiet_timeout: Annotated[float, typer.Option(help="seconds to wait for outboxes and queues to drain")] = 60.0,
) -> None:
    """Replay scenario files against the running stack: reset all four services and purge their queues,
    then run each step, waiting for the system to be quiet before every expectation. Exits 1 at the first
    unmet expectation (printing what was expected and what was seen), 2 for a malformed file."""
    import asyncio

    from ccer_tools.replay import Endpoints, ScenarioError, load_scenario, replay_scenarios

    try:
        scenarios = [load_scenario(f) for f in files]
    except ScenarioError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    endpoints = Endpoints.from_settings(Settings(), base_url_template=base_url_template, amqp_url=amqp_url)
    results = asyncio.run(replay_scenarios(scenarios, endpoints, quiet_timeout=quiet_timeout))
    passed = sum(r.ok for r in results)
    typer.echo(f"{passed} of {len(scenarios)} scenario(s) passed")
    raise typer.Exit(0 if passed == len(scenarios) else 1)


@app.command()
def trace(
    serial: Annotated[str, typer.Argument(help="a unit's serial, e.g. VER-1234-2015-17 or CCER-P1-2024-3")],
) -> None:
    """One unit's path across the legacy, new and allowance registries (the running stack) — 序列号追溯."""
    import asyncio

    from ccer_tools.replay import Endpoints
    from ccer_tools.trace import fetch_trace, render_trace

    try:
        result = asyncio.run(fetch_trace(serial, Endpoints.from_settings()))
    except Exception as exc:
        typer.echo(f"error: could not ask the registries: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(render_trace(result))
    raise typer.Exit(0 if result.found_in else 1)


_URL_HELP = "base URL (default: the one `ccer run` serves, from CCER_HOST and CCER_<SERVICE>_PORT)"


@app.command()
def reconcile(
    new_ccer: Annotated[Optional[str], typer.Option("--new-ccer", help=_URL_HELP)] = None,  # noqa: UP045
    legacy_ccer: Annotated[Optional[str], typer.Option("--legacy-ccer", help=_URL_HELP)] = None,  # noqa: UP045
    allowance: Annotated[Optional[str], typer.Option("--allowance", help=_URL_HELP)] = None,  # noqa: UP045
    review: Annotated[Optional[str], typer.Option("--review", help=_URL_HELP)] = None,  # noqa: UP045
    secret: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="token secret (default: CCER_JWT_SECRET or the simulation default)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Check the invariants of docs/invariants.md across the four registries (账实核对): exit 0 when clean, 1 on
    any discrepancy (each named with its objects), 2 when a registry is unreachable or answers errors."""
    import asyncio

    from ccer_tools.reconcile import RegistryUnavailable
    from ccer_tools.reconcile import reconcile as run_reconciliation

    settings = Settings()
    given = dict(zip(SERVICES, (new_ccer, legacy_ccer, allowance, review), strict=True))
    urls = {s: url or f"http://{settings.host}:{settings.port(s)}" for s, url in given.items()}
    try:
        report = asyncio.run(run_reconciliation(urls, secret=secret or settings.secret))
    except RegistryUnavailable as exc:
        if as_json:
            typer.echo(json.dumps({"ok": False, "unavailable": exc.service, "error": str(exc)}))
        typer.echo(f"error: registry unavailable: {exc}", err=True)
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        typer.echo("checked: " + ", ".join(f"{k} {v}" for k, v in report.checked.items()))
        for d in report.discrepancies:
            where = f"[{d.registry}] " if d.registry else ""
            typer.echo(f"✗ {d.invariant}: {where}{d.message}  {json.dumps(d.objects, ensure_ascii=False)}")
        if report.checked.get("events_in_flight"):
            typer.echo("note: events were in flight; a discrepancy may be one in transit (run again when quiet)")
        typer.echo("✓ every invariant holds" if report.ok else f"{len(report.discrepancies)} discrepancies")
    raise typer.Exit(0 if report.ok else 1)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
