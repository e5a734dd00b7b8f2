"""A DSN's passwords are redacted in every form libpq reads, and so are the pieces of them its errors quote."""

from __future__ import annotations

import pytest

from infra.settings import redacted, redacted_dsn


@pytest.mark.parametrize("dsn, shown", [
    ("postgresql://u:s3cret@127.0.0.1:5432/db", "postgresql://u:***@127.0.0.1:5432/db"),
    ("postgres://u:s3%40cr%2Fet@[::1]/db?sslmode=require", "postgres://u:***@[::1]/db?sslmode=require"),
    ("postgresql://u:s3@cr/et@h1:5432,h2:5433/db", "postgresql://u:***@h1:5432,h2:5433/db"),
    ("postgresql://u@127.0.0.1:5432/db?password=s3cret", "postgresql://u@127.0.0.1:5432/db?password=***"),
    ("postgresql://127.0.0.1/db?sslmode=verify-full&%70assword=s3cret&sslpassword=k3y&user=u",
     "postgresql://127.0.0.1/db?sslmode=verify-full&%70assword=***&sslpassword=***&user=u"),
    ("postgresql://u:s3cret@h/db?application_name=me@x&password=s3cret", "postgresql://u:***@x&password=***"),
    ("host=127.0.0.1 port=5432 password=s3cret dbname=db", "host=127.0.0.1 port=5432 password=*** dbname=db"),
    ("host=h password = 's3 c\\'ret' user=u", "host=h password = *** user=u"),
    ("host=h password='s3 cret", "host=h password=***"),
    ("postgresql://u@127.0.0.1:5432/db", "postgresql://u@127.0.0.1:5432/db"),
    ("host=127.0.0.1 dbname=db", "host=127.0.0.1 dbname=db"),
])
def test_a_dsn_is_shown_without_its_passwords(dsn: str, shown: str) -> None:
    assert redacted_dsn(dsn) == shown


@pytest.mark.parametrize("dsn, error, shown", [
    ("postgresql://u:s3/cret@127.0.0.1:9/db", 'invalid integer value "s3" for connection option "port"',
     'invalid integer value "***" for connection option "port"'),
    ("host=h password=s3cret bogus", 'missing "=" after "bogus" in connection info string',
     'missing "=" after "bogus" in connection info string'),
    ("host=h password='s3 cret' x", "could not use s3 cret, nor s3cret", "could not use ***, nor s3cret"),
    ("postgresql://u:s3%2Fcret@h/db", "password s3/cret or s3%2Fcret refused", "password *** or *** refused"),
])
def test_an_error_about_a_dsn_is_shown_without_its_passwords(dsn: str, error: str, shown: str) -> None:
    assert redacted(error, dsn) == shown
