"""The JDBC URL of the upstream DSN."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("dsn, url", [
    ("postgresql://u:s3cr%40t@127.0.0.1:5433/app?sslmode=require", "jdbc:postgresql://127.0.0.1:5433/app?sslmode=require"),
    ("postgresql://u:s3cr%40t@[::1]/app", "jdbc:postgresql://[::1]:5432/app"),
    ("postgresql://127.0.0.1/app?user=u&password=s3cr%40t&sslmode=disable",
     "jdbc:postgresql://127.0.0.1:5432/app?sslmode=disable"),
])
def test_the_jdbc_url_keeps_the_dsn_parameters_and_ipv6_hosts(monkeypatch: pytest.MonkeyPatch, dsn: str,
                                                              url: str) -> None:
    from infra.settings import settings
    from tables.engine.extract import jdbc_options

    monkeypatch.setenv("RAINFOREST_UPSTREAM_DSN", dsn)
    settings.cache_clear()
    try:
        found, properties = jdbc_options()
        assert found == url and properties["user"] == "u"
        assert properties["password"] == "s3cr@t" and "s3cr" not in found
    finally:
        monkeypatch.undo()
        settings.cache_clear()
