"""The run browser's JSON API and HTTP behaviour, over real HTTP against a real SQLite store."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from session_core.stores.sqlite import SQLiteStore
from session_core.ui.server import BrowserServer, make_server, serve_in_thread
from tests.ui_history import SCRIPT_BRANCH, write_history


@pytest.fixture(scope="module")
def history_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[dict[str, Any]]]]:
    path = tmp_path_factory.mktemp("ui") / "runs.db"
    with SQLiteStore(path) as store:
        records = write_history(store, count=120, hostile=True)
    yield path, records


@pytest.fixture(scope="module")
def server(history_store: tuple[Path, list[dict[str, Any]]]) -> Iterator[BrowserServer]:
    with SQLiteStore(history_store[0]) as store:
        server = make_server(store, port=0)
        serve_in_thread(server)
        yield server
        server.shutdown()
        server.server_close()


def request(server: BrowserServer, path: str, method: str = "GET", headers: dict[str, str] | None = None):
    req = urllib.request.Request(server.url.rstrip("/") + path, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def get_json(server: BrowserServer, path: str) -> tuple[int, dict[str, Any]]:
    status, _, body = request(server, path)
    return status, json.loads(body)


def all_pages(server: BrowserServer, query: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    extra = ""
    while True:
        status, body = get_json(server, f"/api/sessions?{query}{extra}")
        assert status == 200, body
        rows += body["sessions"]
        if body["next"] is None:
            return rows
        extra = "&" + "&".join(f"{k}={v}" for k, v in body["next"].items())


def test_sessions_come_newest_first_and_keyset_pages_visit_each_once(server, history_store):
    records = history_store[1]
    rows = all_pages(server, "limit=17")
    assert [r["id"] for r in rows] == [r["session_id"] for r in reversed(records)]


def test_first_page_holds_the_limit_and_a_cursor(server, history_store):
    status, body = get_json(server, "/api/sessions?limit=5")
    assert status == 200
    assert len(body["sessions"]) == 5
    assert body["next"] == {"after": body["sessions"][-1]["id"]}
    assert set(body["sessions"][0]) >= {"id", "status", "started_at", "duration_s", "branch", "commit_sha", "command"}


@pytest.mark.parametrize(
    ("query", "wanted"),
    [
        ("status=failed", lambda r: r["status"] == "failed"),
        ("branch=fix/null-dates", lambda r: r["git"]["branch"] == "fix/null-dates"),
        ("command=evaluate.py", lambda r: "evaluate.py" in r["cli"]["command_path"]),
        ("param=lr=0.03", lambda r: r["cli"]["params"].get("lr") == 0.03),
        ("param=split=test", lambda r: r["cli"]["params"].get("split") == "test"),
        (
            "since=2026-11-25&until=2026-11-28",
            lambda r: "2026-11-25" <= r["started_at"][:10] < "2026-11-28",
        ),
    ],
)
def test_filters_return_exactly_the_matching_runs(server, history_store, query, wanted):
    expected = [r["session_id"] for r in reversed(history_store[1]) if wanted(r)]
    assert expected, "the fixture must hold matching runs"
    assert [r["id"] for r in all_pages(server, query + "&limit=500")] == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("since=yesterday-ish", "since"),
        ("status=exploded", "status"),
        ("param=novalue", "param"),
        ("limit=0", "limit"),
        ("limit=many", "limit"),
        ("sort=colour", "sort"),
        ("sort=-duration_s&after=x", "after"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(server, query, field):
    status, body = get_json(server, f"/api/sessions?{query}")
    assert status == 400
    assert body["error"]["field"] == field


def test_sort_by_duration_descending_pages_by_offset(server, history_store):
    rows = all_pages(server, "sort=-duration_s&limit=30")
    durations = [r["duration_s"] for r in rows]
    timed = [d for d in durations if d is not None]
    assert timed == sorted(timed, reverse=True)
    assert durations[len(timed):] == [None] * (len(durations) - len(timed))  # no duration: last
    assert sorted(r["id"] for r in rows) == sorted(r["session_id"] for r in history_store[1])


def test_a_running_run_whose_heartbeat_stopped_reads_as_lost(server, history_store):
    lost = [r for r in history_store[1] if r.get("heartbeat_at")]
    assert len(lost) == 1 and lost[0]["status"] == "running"
    status, body = get_json(server, "/api/sessions?status=lost")
    assert status == 200
    assert [(r["id"], r["status"]) for r in body["sessions"]] == [(lost[0]["session_id"], "lost")]
    assert get_json(server, f"/api/sessions/{lost[0]['session_id']}")[1]["session"]["status"] == "lost"
    with SQLiteStore(history_store[0]) as store:  # read, never rewritten
        assert store.load(lost[0]["session_id"])["status"] == "running"


def test_filtered_keyset_pages_visit_each_match_once(server, history_store):
    expected = [r["session_id"] for r in reversed(history_store[1]) if r["status"] == "failed"]
    assert [r["id"] for r in all_pages(server, "status=failed&limit=4")] == expected
    oldest_first = [r["id"] for r in all_pages(server, "status=failed&limit=4&sort=id")]
    assert oldest_first == expected[::-1]


def test_one_session_is_the_whole_stored_record(server, history_store):
    wanted = history_store[1][3]
    status, body = get_json(server, f"/api/sessions/{wanted['session_id']}")
    assert status == 200
    assert body["session"] == wanted


def test_unknown_and_invalid_session_ids(server):
    status, body = get_json(server, "/api/sessions/2020-01-01T00.00.00.000Z")
    assert (status, body["error"]["type"]) == (404, "SessionNotFound")
    status, body = get_json(server, "/api/sessions/..%2Fetc")
    assert (status, body["error"]["field"]) == (400, "id")


def test_stats_count_runs_and_failures_per_day_and_branch(server, history_store):
    records = history_store[1]
    status, body = get_json(server, "/api/stats?group=branch")
    assert status == 200
    assert body["scanned"] == len(records) and body["truncated"] is False
    assert sum(d["runs"] for d in body["days"]) == len(records)
    assert sum(d["failed"] for d in body["days"]) == sum(r["status"] == "failed" for r in records)
    per_branch = {g["group"]: g for g in body["groups"]}
    main_runs = [r for r in records if r["git"]["branch"] == "main"]
    assert per_branch["main"]["runs"] == len(main_runs)
    assert per_branch["main"]["failed"] == sum(r["status"] == "failed" for r in main_runs)
    assert len(body["durations"]) == sum(r["duration_s"] is not None for r in records)


def test_stats_read_at_most_the_limit_and_say_so(server):
    status, body = get_json(server, "/api/stats?limit=10&group=command")
    assert status == 200
    assert (body["scanned"], body["truncated"]) == (10, True)


def test_compare_marks_the_keys_that_differ(server, history_store):
    a, b = history_store[1][0], history_store[1][1]
    status, body = get_json(server, f"/api/compare?id={a['session_id']}&id={b['session_id']}")
    assert status == 200
    assert body["ids"] == [a["session_id"], b["session_id"]]
    rows = {row["key"]: row for row in body["rows"]}
    assert rows["git.branch"]["differs"] is True
    assert rows["git.branch"]["values"] == [a["git"]["branch"], b["git"]["branch"]]
    assert rows["package_name"]["differs"] is False
    assert rows["duration_s"]["differs"] is True


def test_compare_takes_two_to_four_runs(server, history_store):
    one = history_store[1][0]["session_id"]
    status, body = get_json(server, f"/api/compare?id={one}")
    assert (status, body["error"]["field"]) == (400, "id")


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_nothing_can_be_written(server, history_store, method):
    victim = history_store[1][0]["session_id"]
    status, headers, _ = request(server, f"/api/sessions/{victim}", method=method)
    assert status == 405
    assert headers["Allow"] == "GET, HEAD"
    assert get_json(server, f"/api/sessions/{victim}")[0] == 200


def test_every_answer_has_a_strict_content_security_policy(server):
    for path in ("/", "/static/app.js", "/static/app.css", "/api/sessions"):
        status, headers, _ = request(server, path)
        assert status == 200
        policy = headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "default-src 'none'" in policy
        assert "unsafe-inline" not in policy
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_the_page_has_no_inline_script_and_no_external_asset(server):
    _, _, page = request(server, "/")
    html = page.decode()
    for tag in re.findall(r"<script[^>]*>", html):
        assert 'src="/static/' in tag
    assert not re.search(r"(src|href)=\"(https?:)?//", html)


def test_a_foreign_host_name_is_refused(server):
    status, _, _ = request(server, "/api/sessions", headers={"Host": "attacker.example:80"})
    assert status == 400


def test_unknown_paths_are_404(server):
    assert request(server, "/static/../../etc/passwd")[0] == 404
    assert get_json(server, "/api/nothing")[0] == 404


def test_markup_in_records_is_returned_as_plain_json_text(server):
    status, body = get_json(server, "/api/sessions?limit=1")
    assert status == 200
    assert body["sessions"][0]["branch"] == SCRIPT_BRANCH


def _start_cli(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "session_core", "ui", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def test_the_ui_command_serves_the_store_on_loopback(history_store):
    process = _start_cli("--store", f"sqlite:///{history_store[0]}")
    try:
        line = process.stderr.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert url, line
        with urllib.request.urlopen(url.group(0) + "api/sessions?limit=1", timeout=60) as response:
            assert len(json.loads(response.read())["sessions"]) == 1
    finally:
        process.terminate()
        process.wait(timeout=60)
    assert process.stdout.read() == ""


def test_open_hands_the_page_address_to_the_users_browser(history_store, tmp_path):
    opened = tmp_path / "opened.txt"
    fake_browser = tmp_path / "browser.py"
    fake_browser.write_text(f"import sys; open({str(opened)!r}, 'w').write(sys.argv[1])\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "session_core", "ui", "--port", "0", "--open", "--store", f"sqlite:///{history_store[0]}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "BROWSER": f"{sys.executable} {fake_browser} %s"},
    )
    try:
        url = re.search(r"http://127\.0\.0\.1:\d+/", process.stderr.readline())
        assert url
        deadline = time.monotonic() + 60
        while not opened.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert opened.read_text() == url.group(0)
    finally:
        process.terminate()
        process.wait(timeout=60)


def test_another_bind_address_needs_the_flag_and_warns(history_store):
    process = _start_cli("--store", f"sqlite:///{history_store[0]}", "--bind", "127.0.0.2")
    try:
        warning = process.stderr.readline()
        assert warning.startswith("warning:") and "127.0.0.2" in warning
        assert "http://127.0.0.2:" in process.stderr.readline()
    finally:
        process.terminate()
        process.wait(timeout=60)


def test_a_missing_store_is_reported_and_not_created(tmp_path):
    missing = tmp_path / "nowhere" / "runs.db"
    process = _start_cli("--store", f"sqlite:///{missing}")
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "error:" in err
    assert not (tmp_path / "nowhere").exists()


def test_a_run_recorded_while_serving_shows_up(tmp_path):
    path = tmp_path / "live.db"
    SQLiteStore(path).close()
    with SQLiteStore(path) as store:
        server = make_server(store, port=0)
        serve_in_thread(server)
        try:
            assert get_json(server, "/api/sessions")[1]["sessions"] == []
            subprocess.run(
                [sys.executable, "-m", "session_core", "run", "--store", f"sqlite:///{path}", "--no-git", "--",
                 sys.executable, "-c", "raise SystemExit(3)"],
                check=False, timeout=120, capture_output=True,
            )
            rows = get_json(server, "/api/sessions")[1]["sessions"]
            assert [(r["status"], r["exit_code"]) for r in rows] == [("failed", 3)]
        finally:
            server.shutdown()
            server.server_close()


def test_stats_per_command_agree_with_the_stats_command(server, history_store):
    status, body = get_json(server, "/api/stats?group=command")
    assert status == 200
    runs = {g["group"]: g["runs"] for g in body["groups"]}
    commands = [r["cli"]["command_path"] for r in history_store[1]]
    assert runs == {command: commands.count(command) for command in commands}


def test_browsing_the_default_store_of_a_new_project_creates_nothing(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("[project]\nname = 'fresh'\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith("SESSION_CORE_STORE")}
    done = subprocess.run(
        [sys.executable, "-m", "session_core", "ui", "--port", "0"],
        cwd=project, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode != 0
    assert "error:" in done.stderr
    assert sorted(p.name for p in project.iterdir()) == ["pyproject.toml"]
