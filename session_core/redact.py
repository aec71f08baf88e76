"""Redaction: secrets never reach a record, a spool file, a log line or a command's output.

One set of rules for the whole toolkit, applied wherever a value can enter a record (params,
env, the wrapped command line, ``Session.update()`` and user keys, exception texts) and to every
error text we show or keep (see :class:`session_core.errors.StoreError`):

* **Secret names**: a value stored under a secret-looking key or option name is replaced
  (``password``, ``pwd``, ``secret``, ``token``, ``api_key``, ``credentials``, ``auth`` and the
  like, see :func:`is_secret_name`), at any depth and whatever its type. A ``dsn`` or ``*_url``
  keeps its value but loses the password inside it (the next two rules).
* **Credentials inside URLs**, anywhere in any text: ``scheme://user:pw@host`` keeps its scheme
  and host, the user info becomes ``***REDACTED***``.
* **Header values**: ``Authorization: Bearer X``, ``Proxy-Authorization: Basic X``,
  ``X-Api-Key: X`` and a bare ``Bearer X``/``Basic X`` lose the credential.
* **Assignments in text**: ``password=x``, ``db.token=x``, ``"secret": "x"`` (libpq DSNs, Kedro's
  ``--params``, error messages) lose the value.
* **Command lines** (:func:`redact_argv`): ``--password=x``, ``--api-token x`` and
  ``DB_PASSWORD=x`` lose the value; every argument also goes through the text rules.

Short flags such as ``-p`` are ambiguous (a port for ``ssh``/``psql``, a profile, a password
only for ``mysql -pX``), so a one-letter option is never taken as a secret name: ``-p 8080`` stays
as it is. Its value still goes through the text rules (a URL with user info or a header value
after ``-p``/``-H``/``-u`` is redacted). Pass secrets with a long option (``--password``), an
environment variable or a config file instead.

A store's own credentials (user info of its URL, secret options such as ``storage_options``)
are also removed literally from error texts by :func:`redact_text`'s ``known`` argument, because
third-party messages (botocore's) repeat them without the URL around them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

REDACTED = "***REDACTED***"

_SECRET_WORDS = (
    r"pass(?:word|wd|phrase)?|pwd|secret|token|api[-_]?key|apikey|access[-_]?key|private[-_]?key"
    r"|credential|auth(?!or(?:s|ed|ship)?(?:$|[^a-z]))|session[-_]?key|client[-_]?secret|signature"
    r"|cookie"
)
_SECRET_NAME = re.compile(_SECRET_WORDS, re.IGNORECASE)

#: ``scheme://user:pw@`` anywhere in a text (the user info ends at the authority's last ``@``).
_URL_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^\s/?#@'\"<>]*(?:@[^\s/?#@'\"<>]*)*)@")
#: ``Authorization: <scheme> <credential>`` and other credential-carrying headers.
_HEADER = re.compile(
    r"(?P<name>\b(?:proxy-)?authorization|\bx-[a-z0-9-]*(?:api-?key|token|auth)[a-z0-9-]*|\bcookie)"
    r"(?P<sep>\s*[:=]\s*)(?P<value>[^\r\n\"']+)",
    re.IGNORECASE,
)
#: A bare ``Bearer X`` credential, or ``Basic X`` whose X looks like base64 (not an English word).
_AUTH_SCHEME = re.compile(
    r"(?P<name>\b[Bb]earer)(?P<sep>\s+)(?P<value>[A-Za-z0-9._~+/=:-]{4,})"
    r"|(?P<name2>\bBasic)(?P<sep2>\s+)(?P<value2>(?=[A-Za-z0-9+/][A-Za-z0-9+/]*[A-Z0-9+/=])[A-Za-z0-9+/]{6,}={0,2})"
)
#: ``name=value`` / ``"name": "value"`` where the name looks secret.
_ASSIGNMENT = re.compile(
    r"(?P<name>[\w.-]*(?:" + _SECRET_WORDS + r")[\w.-]*)(?P<sep>['\"]?\s*[=:]\s*)"
    r"(?P<value>'[^']*'|\"[^\"]*\"|[^\s,;&'\"}\])]+)",
    re.IGNORECASE,
)
#: ``--api-key x`` inside free text (a command's stderr): an option name, then its value.
_OPTION = re.compile(r"(?P<name>--?[A-Za-z][\w-]*)(?P<sep>\s+)(?P<value>[^\s-]\S*)")
_WHITESPACE = re.compile(r"\s")
_MIN_KNOWN = 4  # known secrets shorter than this would redact ordinary words
#: Credentials of every store opened in this process (see :func:`remember`).
_REMEMBERED: set[str] = set()


def is_secret_name(name: str) -> bool:
    """True when a key or option name looks like it holds a secret."""
    return bool(_SECRET_NAME.search(name))


def _keep_scheme(match: re.Match[str]) -> str:
    name, sep = (match["name"], match["sep"]) if match["name"] else (match["name2"], match["sep2"])
    return f"{name}{sep}{REDACTED}"


def _keep_name(match: re.Match[str]) -> str:
    value = match["value"]
    if value.startswith(("'", '"')) and len(value) > 1 and value[-1] == value[0]:
        return f"{match['name']}{match['sep']}{value[0]}{REDACTED}{value[0]}"
    return f"{match['name']}{match['sep']}{REDACTED}"


def remember(secrets: Iterable[str]) -> None:
    """Add a store's credentials (:func:`known_secrets`) to those :func:`redact_text` always
    removes in this process, so a later error or log line quoting them bare is clean too."""
    _REMEMBERED.update(secret for secret in secrets if len(secret) >= _MIN_KNOWN)


def redact_text(text: str, known: Iterable[str] = ()) -> str:
    """``text`` without credentials: URL user info, header values, secret assignments, each
    string of ``known`` and each remembered store credential (see :func:`remember`)."""
    for secret in (*known, *_REMEMBERED):
        if len(secret) >= _MIN_KNOWN and secret in text:
            text = text.replace(secret, REDACTED)
    if "://" in text:
        text = _URL_USERINFO.sub(lambda m: f"{m['scheme']}{REDACTED}@", text)
    # Each rule below needs a separator (":" or "=") or white space; most strings of a record
    # (ids, times, paths) have neither, and skipping the rules that cannot match them halves a
    # save's cost. Replacements only remove text, so the flags hold for every step.
    separated = ":" in text or "=" in text
    spaced = _WHITESPACE.search(text) is not None
    if separated:
        text = _HEADER.sub(_keep_name, text)
    if spaced:
        text = _AUTH_SCHEME.sub(_keep_scheme, text)
    if separated:
        text = _ASSIGNMENT.sub(lambda m: m[0] if m["value"].strip("'\"") == REDACTED else _keep_name(m), text)
    if not spaced:
        return text
    return _OPTION.sub(lambda m: _keep_name(m) if is_secret_name(m["name"]) and m["value"] != REDACTED else m[0], text)


def redact_mapping(value: Any) -> Any:
    """Return a copy with values under secret-looking keys replaced and every string passed
    through :func:`redact_text`, at any depth."""
    if isinstance(value, dict):
        return {
            key: REDACTED if isinstance(key, str) and is_secret_name(key) and item is not None
            else redact_mapping(item)
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact_mapping(item) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def redact_argv(argv: list[str]) -> list[str]:
    """Redact secrets on a command line (see the module doc for the rules, ``-p`` included)."""
    out: list[str] = []
    redact_next = False
    for arg in argv:
        if redact_next:
            out.append(REDACTED)
            redact_next = False
            continue
        if arg.startswith("--") and len(arg) > 2:
            name, sep, _ = arg[2:].partition("=")
            if is_secret_name(name):
                if sep:
                    out.append(arg.split("=", 1)[0] + "=" + REDACTED)
                else:
                    out.append(arg)
                    redact_next = True
                continue
        elif not arg.startswith("-") and "=" in arg:
            name, _, _ = arg.partition("=")
            if name.isidentifier() and is_secret_name(name):
                out.append(f"{name}={REDACTED}")
                continue
        out.append(redact_text(arg))
    return out


def redact_url(url: str) -> str:
    """Drop the user info (and query values under secret names) from a URL; other text is returned as is."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
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


def known_secrets(path: Any, options: dict[str, Any]) -> tuple[str, ...]:
    """The credentials a store was given: the user info of its URL (each part, raw and
    percent-decoded) and every string under a secret-looking or ``key`` option, at any depth.

    :class:`session_core.store.SessionStore` removes these from every error text it raises,
    because a library's message may quote them bare (``Invalid bucket name "KEY:SECRET@b"``).
    """
    found: list[str] = []
    text = str(path) if path is not None else ""
    if "@" in text:
        userinfo = text.partition("://")[2].partition("/")[0].rpartition("@")[0]
        for part in (userinfo, *userinfo.split(":", 1)):
            found.extend({part, unquote(part)})

    def collect(value: Any, secret: bool) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                collect(item, secret or (isinstance(key, str) and (is_secret_name(key) or key.lower() == "key")))
        elif isinstance(value, (list, tuple)):
            for item in value:
                collect(item, secret)
        elif secret and isinstance(value, str):
            found.append(value)

    collect(options, False)
    return tuple(sorted({s for s in found if len(s) >= _MIN_KNOWN}, key=len, reverse=True))


class RedactingFilter(logging.Filter):
    """A handler filter that redacts every log record, ours and third parties' (botocore and
    s3fs log a bucket name that may carry ``KEY:SECRET@``); the CLI installs it on its handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact_text(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
        return True
