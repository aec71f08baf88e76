"""One module per ``python -m session_core`` subcommand (see :mod:`session_core.cli`)."""
