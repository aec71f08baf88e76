"""Secrets never reach a record: params, env, command lines and URLs are redacted."""

from __future__ import annotations

from session_core.redact import REDACTED, known_secrets, redact_argv, redact_mapping, redact_text, redact_url


def test_secret_options_on_a_command_line_are_redacted_attached_or_separate():
    argv = ["python", "train.py", "--password=hunter2", "--api-token", "abc", "--lr", "0.1", "--author", "me"]
    assert redact_argv(argv) == [
        "python", "train.py", f"--password={REDACTED}", "--api-token", REDACTED, "--lr", "0.1", "--author", "me",
    ]


def test_env_style_assignments_and_urls_with_credentials_are_redacted():
    out = redact_argv(["run", "DB_PASSWORD=x", "s3://KEY:SECRET@bucket/p"])
    assert out[1] == f"DB_PASSWORD={REDACTED}"
    assert "SECRET" not in out[2] and "KEY" not in out[2]


def test_mappings_are_redacted_at_any_depth():
    data = {"lr": 0.1, "aws_secret_access_key": "s", "nested": {"client_secret": "c", "ok": 1}, "items": [{"token": "t"}]}
    assert redact_mapping(data) == {
        "lr": 0.1, "aws_secret_access_key": REDACTED, "nested": {"client_secret": REDACTED, "ok": 1}, "items": [{"token": REDACTED}],
    }


def test_url_user_info_and_secret_query_values_are_dropped():
    url = redact_url("postgresql://user:pw@db.internal/runs?sslmode=require&access_token=t")
    assert "pw" not in url and "user" not in url and "access_token=t" not in url
    assert "sslmode=require" in url


def test_header_values_lose_their_credential_as_one_argument_or_attached():
    out = redact_argv(["curl", "-H", "Authorization: Bearer tok123", "--header=Authorization: Basic dXNlcjpwYXNz",
                       "--header", "X-Api-Key: k3y"])
    assert not [arg for arg in out if "tok123" in arg or "dXNlcjpwYXNz" in arg or "k3y" in arg]
    assert out[2].startswith("Authorization:") and out[3].startswith("--header=Authorization:")


def test_credentials_inside_urls_anywhere_in_a_text_go_and_the_host_stays():
    text = redact_text("connect failed: DATABASE_URL=postgres://u:p%40ss@db.internal:5432/runs (retry)")
    assert "p%40ss" not in text and "db.internal:5432/runs (retry)" in text


def test_secret_names_include_pwd_and_exclude_author_and_dsn_keeps_its_host():
    data = redact_mapping({"pwd": "x1", "author": "ana", "dsn": "host=h user=u password=x2", "db_url": "mysql://r:x3@h/d"})
    assert data["pwd"] == REDACTED and data["author"] == "ana"
    assert "x2" not in data["dsn"] and "host=h" in data["dsn"]
    assert "x3" not in data["db_url"] and data["db_url"].endswith("@h/d")


def test_short_flags_are_not_secret_names_but_their_values_still_go_through_the_text_rules():
    out = redact_argv(["psql", "-p", "5433", "-U", "ana", "-d", "postgres://ana:pw9@h/db"])
    assert out[:6] == ["psql", "-p", "5433", "-U", "ana", "-d"]
    assert "pw9" not in out[6]


def test_plain_words_after_basic_or_token_are_kept():
    assert redact_text("use Basic authentication; the token count is 5") == "use Basic authentication; the token count is 5"


def test_a_stores_own_credentials_are_removed_even_when_quoted_bare():
    known = known_secrets("s3://AKIAEXAMPLE:s3cr3t%2Fkey@bucket/p", {"storage_options": {"key": "AKIA2", "secret": "sh4red"}})
    text = redact_text('Invalid bucket name "AKIAEXAMPLE:s3cr3t/key@bucket"; key AKIA2 secret sh4red', known)
    assert not [s for s in ("AKIAEXAMPLE", "s3cr3t", "AKIA2", "sh4red") if s in text]
