"""Benchmarks: every figure of session-core measured beside its raw limit, in the same run.

Run ``python -m bench`` (``make bench``); ``python -m bench --help`` lists the options. Each
figure is the toolkit doing some work next to the bare library doing the same work with no
toolkit around it (raw ``sqlite3``, ``duckdb``, file writes, ``git status``, ``s3fs``), measured
in the same run on the same machine, and reported as a ratio against the target of issue 6.
See ``docs/performance.md`` for what each figure means.
"""
