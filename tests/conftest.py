"""Fixtures shared by the project's tests live in plugin modules, listed here."""

pytest_plugins = ["tests.git_repos", "tests.project_folder", "tests.s3_server", "tests.pg_fixtures", "tests.history_stores"]
