"""Database URLs: ``sqlite:///relative/path``, ``sqlite:////absolute/path``, ``mysql://user:pw@host:3306/db``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

MYSQL_SCHEMES = {"mysql", "mysql+pymysql", "mariadb", "mariadb+pymysql"}
DATABASE_NAME = re.compile(r"^[A-Za-z0-9_$-]{1,64}$")
SSL_PARAMETERS = {"ssl_ca": "ca", "ssl_cert": "cert", "ssl_key": "key"}
IGNORED_PARAMETERS = {"charset"}
_CREDENTIALS = re.compile(r"(?P<head>://[^/:@]*:)[^@/]*@")


def redact_url(text: str) -> str:
    """The URL (or any text holding URLs) with passwords replaced by ``***``."""
    return _CREDENTIALS.sub(lambda m: f"{m.group('head')}***@", text)


@dataclass(frozen=True)
class DatabaseUrl:
    """A parsed database URL. ``password`` is kept out of repr; use :meth:`redacted` in messages."""

    dialect: str  # "sqlite" or "mysql"
    path: Path | None = None  # sqlite
    host: str = ""
    port: int = 3306
    user: str = ""
    password: str = field(default="", repr=False)
    database: str = ""
    ssl: tuple[tuple[str, str], ...] = ()  # pymysql ssl options, e.g. (("ca", "/etc/ssl/ca.pem"),)
    ssl_enabled: bool = False

    @classmethod
    def parse(cls, url: str) -> DatabaseUrl:
        """Parse ``url``; ValueError (with the password removed) when it is not a supported URL."""
        if not isinstance(url, str) or "://" not in url:
            raise ValueError("not a database URL: expected sqlite:///path or mysql://user:password@host:3306/db")
        scheme = url.split("://", 1)[0].lower()
        if scheme == "sqlite":
            return cls._parse_sqlite(url)
        if scheme in MYSQL_SCHEMES:
            return cls._parse_mysql(url)
        raise ValueError(f"unsupported database URL scheme {scheme!r:.40}: use sqlite:/// or mysql://")

    @classmethod
    def _parse_sqlite(cls, url: str) -> DatabaseUrl:
        rest = url.split("://", 1)[1]
        if not rest.startswith("/") or len(rest) < 2:
            raise ValueError("a SQLite URL is sqlite:///relative/path or sqlite:////absolute/path")
        path = unquote(rest[1:].split("?", 1)[0])
        if path in {"", ":memory:"}:
            raise ValueError("a SQLite URL needs a file path (in-memory databases are not shared between threads)")
        return cls(dialect="sqlite", path=Path(path))

    @classmethod
    def _parse_mysql(cls, url: str) -> DatabaseUrl:
        parts = urlsplit(url)
        try:
            port = parts.port or 3306
        except ValueError as exc:
            raise ValueError(f"bad port in database URL {redact_url(url)!r:.200}") from exc
        name = unquote(parts.path.lstrip("/"))
        if not parts.hostname:
            raise ValueError(f"database URL without a host: {redact_url(url)!r:.200}")
        if not DATABASE_NAME.match(name):
            raise ValueError(f"database URL needs a database name of letters, digits, _ $ -: {redact_url(url)!r:.200}")
        ssl, ssl_enabled = _ssl_options(parse_qsl(parts.query, keep_blank_values=True))
        return cls(
            dialect="mysql", host=parts.hostname, port=port, user=unquote(parts.username or ""),
            password=unquote(parts.password or ""), database=name, ssl=ssl, ssl_enabled=ssl_enabled,
        )

    def redacted(self) -> str:
        """The URL as it may appear in logs and errors."""
        if self.dialect == "sqlite":
            return f"sqlite:///{self.path}"
        credentials = f"{self.user}:***@" if self.password else (f"{self.user}@" if self.user else "")
        return f"mysql://{credentials}{self.host}:{self.port}/{self.database}"

    def __str__(self) -> str:
        return self.redacted()


def _ssl_options(pairs: list[tuple[str, str]]) -> tuple[tuple[tuple[str, str], ...], bool]:
    options: list[tuple[str, str]] = []
    enabled = False
    for key, value in pairs:
        if key in SSL_PARAMETERS:
            options.append((SSL_PARAMETERS[key], value))
            enabled = True
        elif key == "ssl":
            enabled = value.lower() in {"1", "true", "yes", "on", "required"}
        elif key not in IGNORED_PARAMETERS:
            known = "charset, ssl, ssl_ca, ssl_cert, ssl_key"
            raise ValueError(f"unknown database URL parameter {key!r:.40} (known: {known})")
    return tuple(options), enabled
