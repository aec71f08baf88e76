"""Redaction: secrets never reach a record, a log line or ``list`` output.

Two kinds of secret are handled here, once for the whole toolkit: values stored under
secret-looking names (in params, env and wrapped command lines), and credentials inside store
URLs (``s3://KEY:SECRET@bucket``, ``postgresql://user:pw@host``).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REDACTED = "***REDACTED***"

_SECRET_NAME = re.compile(
    r"pass(word|wd|phrase)?|secret|token|api[-_]?key|apikey|access[-_]?key|private[-_]?key"
    r"|credential|auth(?!or(?:s|ed|ship)?(?:$|[^a-z]))|session[-_]?key|client[-_]?secret|signature|cookie",
    re.IGNORECASE,
)


def is_secret_name(name: str) -> bool:
    """True when a key or option name looks like it holds a secret."""
    return bool(_SECRET_NAME.search(name))


def redact_mapping(value: Any) -> Any:
    """Return a copy with values under secret-looking keys replaced, at any depth."""
    if isinstance(value, dict):
        return {
            key: REDACTED if isinstance(key, str) and is_secret_name(key) and item is not None
            else redact_mapping(item)
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact_mapping(item) for item in value]
    return value


def redact_argv(argv: list[str]) -> list[str]:
    """Redact secrets on a command line: ``--password=x``, ``--api-token x``, ``-p`` stays.

    An option with a secret-looking name has its value replaced whether it is attached
    (``--token=abc``) or the next argument (``--token abc``); URLs with credentials inside any
    argument lose their user info.
    """
    out: list[str] = []
    redact_next = False
    for arg in argv:
        if redact_next:
            out.append(REDACTED)
            redact_next = False
            continue
        if arg.startswith("-") and len(arg) > 1:
            name, sep, _ = arg.lstrip("-").partition("=")
            if is_secret_name(name):
                if sep:
                    out.append(arg.split("=", 1)[0] + "=" + REDACTED)
                else:
                    out.append(arg)
                    redact_next = True
                continue
        elif "=" in arg and not arg.startswith(("'", '"')):
            name, _, _ = arg.partition("=")
            if name.isidentifier() and is_secret_name(name):
                out.append(f"{name}={REDACTED}")
                continue
        out.append(redact_url(arg) if "://" in arg else arg)
    return out


def redact_url(url: str) -> str:
    """Drop the user info (and query values under secret names) from a URL; other text is returned as is."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rpartition('@')[2]}"
    query = parts.query
    if query:
        pairs = [p.partition("=") for p in query.split("&")]
        query = "&".join(
            f"{k}{s}{REDACTED if s and is_secret_name(k) else v}" for k, s, v in pairs
        )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


_ASSIGNMENT = re.compile(
    r"(?P<key>[A-Za-z_][\w.-]*)(?P<sep>\s*[=:]\s*)"
    r"(?P<value>(?:Bearer|Basic|Token)\s+\S+|\"[^\"]*\"|'[^']*'|[^\s,;&]+)",
    re.IGNORECASE,
)
_OPTION = re.compile(r"(?P<key>--?[A-Za-z][\w-]*)(?P<sep>\s+)(?P<value>[^\s-]\S*)")
_URL_WITH_USER = re.compile(r"(?P<scheme>[A-Za-z][\w+.-]*://)[^/\s@]+@")


def redact_text(text: str) -> str:
    """Redact secrets in free text (a command's stderr): ``password=x``, ``token: x``,
    ``--api-key x`` and the user info of URLs (``s3://KEY:SECRET@host``)."""
    def value_of_secret(match: re.Match[str]) -> str:
        key = match["key"]
        if not is_secret_name(key):
            return match[0]
        return f"{key}{match['sep']}{REDACTED}"

    text = _URL_WITH_USER.sub(lambda m: f"{m['scheme']}{REDACTED}@", text)
    text = _ASSIGNMENT.sub(value_of_secret, text)
    return _OPTION.sub(value_of_secret, text)
