"""/docs (Swagger UI) and /redoc (ReDoc) render a service's operations in a real browser with no
network beyond the service itself: the pages' scripts are served by the service, not a CDN.

One service runs in-process under uvicorn on a free port (``served``, tests/e2e/conftest.py);
headless Chromium loads each page with every host but 127.0.0.1 unresolvable, and the rendered DOM
must hold the operations. Needs Debian's ``chromium`` (``apt-get install -y chromium``)."""

from __future__ import annotations

import asyncio
import shutil
import tempfile

import httpx
import pytest

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Operations of the new registry, as each page shows them (Swagger UI: summary and path; ReDoc: summary).
OPERATIONS = ("Offset lots — 抵销批次列表", "Fee ledger — 缴费记录", "Service clock — 服务时钟")


async def rendered(url: str) -> str:
    """The DOM of ``url`` after its scripts ran, in headless Chromium that can reach only 127.0.0.1."""
    assert CHROMIUM
    with tempfile.TemporaryDirectory() as profile:
        process = await asyncio.create_subprocess_exec(
            CHROMIUM,
            "--headless",
            "--no-sandbox",  # tests may run as root
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--virtual-time-budget=20000",
            "--dump-dom",
            url,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 180)
    assert process.returncode == 0, err.decode(errors="replace")[-2000:]
    return out.decode()


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)")
@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_api_docs_render_their_operations_without_a_cdn(served: str, page: str) -> None:
    async with httpx.AsyncClient() as client:
        html = (await client.get(served + page)).text
    assert "cdn" not in html.lower(), "the page still loads something from a CDN"

    dom = await rendered(served + page)

    missing = [op for op in OPERATIONS if op not in dom]
    assert not missing, f"{page} did not render {missing}; DOM starts: {dom[:1500]}"
    if page == "/docs":
        assert "/api/v1/offset-lots" in dom
