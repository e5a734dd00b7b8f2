"""The upstream database named in an error, without the passwords of its DSN."""

from __future__ import annotations

import pytest

from infra.errors import RainforestError, ServiceUnavailableError
from infra.settings import settings
from infra.upstream_db import connect_upstream


@pytest.mark.parametrize("dsn, error", [
    ("postgresql://u@127.0.0.1:9/db?password=s3cret", ServiceUnavailableError),  # nothing listens on port 9
    ("host=127.0.0.1 port=9 dbname=db password=s3cret", ServiceUnavailableError),
    ("postgresql://u:s3/cret@127.0.0.1:9/db", ServiceUnavailableError),  # libpq reads "s3" as the port
    ("host=127.0.0.1 port=9 password=s3cret trailing", RainforestError),  # libpq cannot read it
])
def test_an_upstream_that_cannot_be_reached_is_named_without_its_password(
        monkeypatch: pytest.MonkeyPatch, dsn: str, error: type[RainforestError]) -> None:
    monkeypatch.setenv("RAINFOREST_UPSTREAM_DSN", dsn)
    settings.cache_clear()
    try:
        with pytest.raises(error) as failure:
            connect_upstream()
        message = str(failure.value)
        assert "127.0.0.1" in message and "s3" not in message, message
        assert failure.value.__cause__ is None and failure.value.__suppress_context__
    finally:
        monkeypatch.undo()
        settings.cache_clear()
