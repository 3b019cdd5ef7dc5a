"""Database URLs: parsing, URL-decoded passwords, and passwords kept out of every message."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.storage.url import DatabaseUrl, redact_url


def test_mysql_url_with_an_encoded_password() -> None:
    url = DatabaseUrl.parse("mysql://gate%40box:p%40ss%3Aw%2Frd@db.local:3307/carwatch?charset=utf8mb4")
    assert (url.dialect, url.host, url.port, url.database) == ("mysql", "db.local", 3307, "carwatch")
    assert url.user == "gate@box" and url.password == "p@ss:w/rd"
    assert "p@ss" not in repr(url) and "p@ss" not in str(url) and "p%40ss" not in url.redacted()
    assert url.redacted() == "mysql://gate@box:***@db.local:3307/carwatch"


def test_mysql_defaults_and_ssl_options() -> None:
    url = DatabaseUrl.parse("mariadb://root@127.0.0.1/cw?ssl_ca=/etc/ca.pem")
    assert url.port == 3306 and url.password == "" and url.ssl_enabled and url.ssl == (("ca", "/etc/ca.pem"),)
    assert url.redacted() == "mysql://root@127.0.0.1:3306/cw"


def test_sqlite_relative_and_absolute_paths() -> None:
    assert DatabaseUrl.parse("sqlite:///data/history.db").path == Path("data/history.db")
    assert DatabaseUrl.parse("sqlite:////var/lib/cw/history.db").path == Path("/var/lib/cw/history.db")


@pytest.mark.parametrize(
    "url",
    [
        "postgres://u:s3cretpw@h/db",
        "mysql://u:s3cretpw@h/",
        "mysql://u:s3cretpw@h/db`; DROP DATABASE x",
        "mysql://u:s3cretpw@h:99999/db",
        "mysql://u:s3cretpw@h/db?unknown=s3cretpw",
        "mysql://u:s3cretpw@/db",
        "sqlite://",
        "sqlite:///:memory:",
        "no url at all s3cretpw",
        "x" * 10_000,
    ],
)
def test_bad_urls_are_refused_without_the_password(url: str) -> None:
    with pytest.raises(ValueError) as caught:
        DatabaseUrl.parse(url)
    assert "s3cretpw" not in str(caught.value)
    assert len(str(caught.value)) < 400


def test_redact_url_in_free_text() -> None:
    assert redact_url("failed mysql://a:b@c:1/d and mqtt://x:y@z") == "failed mysql://a:***@c:1/d and mqtt://x:***@z"
