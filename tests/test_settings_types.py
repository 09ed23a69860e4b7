"""The shared settings types (`core.settings_types`): the 32-character boundary of a secret,
and a secret that reaches neither a repr nor an error message."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from avito_sync.core.settings_types import (
    MIN_SECRET_LENGTH,
    HttpUrl,
    OptionalSecret32,
    PostgresUrl,
    Secret32,
)


class _Model(BaseModel):
    secret: Secret32
    optional: OptionalSecret32 = None


SECRET_TEXT = st.text(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.~", min_size=1, max_size=80
)


@given(SECRET_TEXT)
def test_a_secret_is_accepted_from_32_characters_and_never_shown(value: str) -> None:
    if len(value) < MIN_SECRET_LENGTH:
        with pytest.raises(ValidationError, match="at least 32 characters"):
            _Model(secret=value)
        return
    model = _Model(secret=value, optional=value)
    assert model.secret.get_secret_value() == value
    assert model.optional is not None
    assert model.optional.get_secret_value() == value
    assert value not in repr(model)
    assert value not in str(model)


@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_optional_secret_counts_as_unset(blank: str) -> None:
    assert _Model(secret="s" * 32, optional=blank).optional is None


def test_urls_are_checked_and_the_database_url_stays_out_of_the_repr() -> None:
    class Urls(BaseModel):
        base: HttpUrl
        database: PostgresUrl

    urls = Urls(base="https://example.org/", database="postgresql://u:pw-123@h/db")
    assert urls.base == "https://example.org"
    assert "pw-123" not in repr(urls)
    for bad in ("example.org", "ftp://example.org", "/relative"):
        with pytest.raises(ValidationError, match="must be an absolute http"):
            Urls(base=bad, database="postgresql://h/db")
