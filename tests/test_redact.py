"""Secrets never reach a record: params, env, command lines and URLs are redacted."""

from __future__ import annotations

from session_core.redact import REDACTED, redact_argv, redact_mapping, redact_url


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
