"""The run browser end to end, in a real headless Chromium driven by Playwright.

Debian's ``chromium`` package is the browser (Playwright's own download is never used). Without
it these tests skip with the reason printed, except under CI (the ``CI`` variable set), where
a missing browser is a failure: ``.ci/run`` installs it.

Screenshots go to ``$SESSION_CORE_UI_ARTIFACTS`` (default: a pytest temporary folder, printed);
``SESSION_CORE_UI_ARTIFACTS=docs`` remakes the README's ``docs/ui.png``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from session_core.store import SessionStore
from session_core.stores.json import MemoryJSONStore
from session_core.stores.sqlite import SQLiteStore
from session_core.ui.server import BrowserServer, make_server, serve_in_thread
from tests.ui_history import NOW, SCRIPT_BRANCH, SCRIPT_MESSAGE, SCRIPT_PARAM, record, write_history

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
#: Recorded before any page script runs: CSP violations (an inline handler or script that the
#: page let into the DOM and the policy then blocked) must not even be attempted.
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective));
"""


def chromium_path() -> str | None:
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def skip_or_fail(reason: str) -> None:
    """Skip with the reason printed; under CI (``CI`` set) a missing browser is a failure."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}, and CI is set: the browser tests must run")
    print(f"\nskipping browser tests: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        skip_or_fail("Chromium is not installed (Debian: apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=executable,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 860},
        )
        context.add_init_script(WATCH_VIOLATIONS)
        yield context
        context.close()


@contextlib.contextmanager
def serving(store: SessionStore) -> Iterator[BrowserServer]:
    with store:
        server = make_server(store, port=0)
        serve_in_thread(server)
        yield server
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def hostile_history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    path = tmp_path_factory.mktemp("ui-browser") / "runs.db"
    with SQLiteStore(path) as store:
        return path, write_history(store, count=60, hostile=True)


@pytest.fixture(scope="module")
def server(hostile_history: tuple[Path, list[dict[str, Any]]]) -> Iterator[BrowserServer]:
    with serving(SQLiteStore(hostile_history[0])) as running:
        yield running


@pytest.fixture
def page(browser_context: Any) -> Iterator[Any]:
    page = browser_context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    page.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("SESSION_CORE_UI_ARTIFACTS") or tmp_path_factory.mktemp("ui-artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nbrowser screenshots in {folder}")
    return folder


def row_ids(page: Any) -> list[str]:
    return page.locator("#runs-body tr").evaluate_all("rows => rows.map(r => r.dataset.id)")


def assert_nothing_ran(page: Any) -> None:
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("window.__violations") == []


def test_load_filter_and_open_a_run_by_its_url(page, server, hostile_history, artifacts):
    records = hostile_history[1]
    page.goto(server.url)
    page.wait_for_selector("#runs-body tr")
    assert row_ids(page) == [r["session_id"] for r in reversed(records)][:50]
    page.click("#page-next")
    page.wait_for_function("() => document.querySelector('#runs-summary').textContent.startsWith('runs 51')")
    assert row_ids(page) == [r["session_id"] for r in reversed(records)][50:100]

    page.select_option("#filters select[name=status]", "failed")
    page.fill("#filters input[name=branch]", "main")
    page.click("#filters button[type=submit]")
    wanted = [r["session_id"] for r in reversed(records) if r["status"] == "failed" and r["git"]["branch"] == "main"]
    page.wait_for_function("n => document.querySelectorAll('#runs-body tr').length === n", arg=len(wanted))
    assert row_ids(page) == wanted
    assert "#/runs?status=failed&branch=main" in page.url

    page.click(f"#runs-body tr[data-id='{wanted[0]}'] a")
    page.wait_for_selector("#session-title")
    assert page.text_content("#session-title") == wanted[0]
    assert "cannot convert NaT" in page.text_content("#session-exception")
    page.screenshot(path=str(artifacts / "ui-session.png"), full_page=True)
    link = page.url
    page.goto("about:blank")
    page.goto(link)
    page.wait_for_selector("#session-title")
    assert page.text_content("#session-title") == wanted[0]


def test_sort_by_a_column(page, server, hostile_history):
    page.goto(server.url + "#/runs")
    page.wait_for_selector("#runs-body tr")
    page.click("th[data-key=duration_s]")
    page.wait_for_selector("th.sorted-desc[data-key=duration_s]")
    longest = max((r for r in hostile_history[1] if r["duration_s"] is not None), key=lambda r: r["duration_s"])
    page.wait_for_function("id => document.querySelector('#runs-body tr').dataset.id === id", arg=longest["session_id"])


def test_compare_two_runs_highlights_differences(page, server, hostile_history, artifacts):
    first, second = hostile_history[1][0], hostile_history[1][1]
    page.goto(server.url + "#/runs?sort=id")
    page.wait_for_selector("#runs-body tr")
    for record in (first, second):
        page.check(f"#runs-body input[data-id='{record['session_id']}']")
    page.click("#compare-selected")
    page.wait_for_selector("#compare-table")
    assert page.get_attribute("#compare-table tr[data-key='git.branch']", "class") == "differs"
    assert page.get_attribute("#compare-table tr[data-key='package_name']", "class") is None
    cells = page.locator("#compare-table tr[data-key='git.branch'] td").all_text_contents()
    assert cells == ["git.branch", first["git"]["branch"], second["git"]["branch"]]
    page.check("#only-differences")
    assert page.locator("#compare-table tr[data-key='package_name']").is_hidden()
    page.screenshot(path=str(artifacts / "ui-compare.png"), full_page=True)


def test_plots_draw_every_timed_run_and_the_failure_rates(page, server, hostile_history, artifacts):
    records = hostile_history[1]
    page.goto(server.url + "#/plots")
    page.wait_for_selector("#plot-duration-svg circle")
    timed = sum(r["duration_s"] is not None for r in records)
    assert page.locator("#plot-duration-svg circle").count() == timed
    days = len({r["started_at"][:10] for r in records})
    assert page.locator("#plot-failures-svg rect.bar").count() == days
    page.select_option("#plot-options select[name=group]", "command")
    page.wait_for_selector("#groups-title:has-text('per command')")
    commands = {r["cli"]["command_path"] for r in records}
    assert page.locator("#plot-groups-svg rect.bar").count() == len(commands)
    page.screenshot(path=str(artifacts / "ui-plots.png"), full_page=True)


def test_markup_in_a_param_a_branch_and_an_exception_is_shown_as_text(page, server, hostile_history):
    hostile = hostile_history[1][-1]
    page.goto(server.url)
    page.wait_for_selector("#runs-body tr")
    assert page.text_content(f"#runs-body tr[data-id='{hostile['session_id']}'] td:nth-child(6)") == SCRIPT_BRANCH
    assert_nothing_ran(page)

    page.goto(server.url + "#/session/" + hostile["session_id"])
    page.wait_for_selector("#session-exception")
    assert page.text_content("#session-exception") == "RuntimeError: " + SCRIPT_MESSAGE
    assert SCRIPT_PARAM in page.text_content("#view-session")
    assert page.locator("#view-session script, #view-session img, #view-session svg").count() == 0
    assert_nothing_ran(page)

    other = hostile_history[1][0]
    page.goto(server.url + f"#/compare/{other['session_id']}/{hostile['session_id']}")
    page.wait_for_selector("#compare-table")
    assert SCRIPT_PARAM in page.text_content("#compare-table")
    assert_nothing_ran(page)

    page.goto(server.url + "#/plots")
    page.wait_for_selector("#plot-groups-svg rect.bar")
    assert_nothing_ran(page)


def test_a_running_session_refreshes_live_when_it_finishes(page, tmp_path):
    path = tmp_path / "live.db"
    running = record("2026-12-01T17.00.00.000000Z-0000000000000001", NOW, status="running", duration=None)
    with SQLiteStore(path) as writer:
        writer.write(running["session_id"], running)
    with serving(SQLiteStore(path)) as server:
        page.goto(server.url)
        page.wait_for_selector("#runs-body .status-running")
        with SQLiteStore(path) as writer:  # another connection, as the run's own process would be
            writer.write(running["session_id"], {**running, "status": "completed", "duration_s": 3.0})
        page.wait_for_selector("#runs-body .status-completed", timeout=60_000)  # no reload, no click


def test_screenshot_of_the_runs_page(page, artifacts):
    """The README's picture (docs/ui.png): an in-memory JSON store, so no local path shows."""
    store = MemoryJSONStore(f"memory://ui-screenshot-{uuid.uuid4().hex[:8]}")
    write_history(store, count=48)
    with serving(store) as server:
        page.goto(server.url)
        page.wait_for_selector("#runs-body tr")
        page.wait_for_function("() => document.querySelector('#store-location').textContent !== ''")
        page.screenshot(path=str(artifacts / "ui.png"))
    assert (artifacts / "ui.png").stat().st_size > 10_000
