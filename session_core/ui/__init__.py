"""The run browser: ``python -m session_core ui``, a small read-only page over any store.

* :mod:`.data` is the only module that reads the store (filters, pagination, one session);
* :mod:`.summaries` turns records into what the page shows beside the table (plots, compare);
* :mod:`.api` answers the JSON API under ``/api/`` (documented in ``docs/ui.md``);
* :mod:`.server` serves the API and the three static files in ``static/`` on 127.0.0.1.

Nothing here imports a web framework: the standard library's ``ThreadingHTTPServer`` serves a
handful of GET requests well, and the page is hand-written HTML, CSS and JavaScript (no build
step, no CDN: it works without internet).
"""
