"""The Avito error tree's stable codes, pinned: a renamed class keeps its code (sync results
and log lines carry it), and a new class cannot slip in without naming its own."""

from __future__ import annotations

import re
import uuid

import pytest

from avito_sync.avito import errors as e

# Every class of the tree and its code: the strings sync results and logs have always carried
# ("avito_" + the class name in snake case when the code was derived from it).
CODES: dict[type[e.AvitoError], str] = {
    e.AvitoError: "avito_avito",
    e.BadRequestError: "avito_bad_request",
    e.ForbiddenError: "avito_forbidden",
    e.NotFoundError: "avito_not_found",
    e.InvalidFieldsError: "avito_validation",
    e.RateLimitedError: "avito_rate_limited",
    e.ServerError: "avito_server",
    e.TransportError: "avito_transport",
    e.MalformedResponseError: "avito_malformed_response",
    e.TokenExpiredError: "avito_token_expired",
    e.ReconnectRequiredError: "reconnect_required",
    e.ConflictError: "avito_conflict",
    e.OAuthError: "avito_o_auth",
    e.InvalidGrantError: "avito_invalid_grant",
    e.InvalidClientError: "avito_invalid_client",
}

# The category bases (never raised) and what the callers rely on them to hold: the push ends a
# sync on ReconnectNeededError, and the refusals are the statuses whose body is not re-sent.
CATEGORIES: dict[type[e.AvitoError], set[type[e.AvitoError]]] = {
    e.RefusedError: {e.BadRequestError, e.ForbiddenError, e.NotFoundError, e.InvalidFieldsError},
    e.RetryableError: {
        e.RateLimitedError,
        e.ServerError,
        e.TransportError,
        e.MalformedResponseError,
    },
    e.ReconnectNeededError: {e.TokenExpiredError, e.ReconnectRequiredError},
}


def _tree(root: type[e.AvitoError]) -> set[type[e.AvitoError]]:
    found = {root}
    for sub in root.__subclasses__():
        found |= _tree(sub)
    return found


def test_every_class_of_the_tree_is_pinned() -> None:
    assert _tree(e.AvitoError) == set(CODES) | set(CATEGORIES), (
        "a new Avito error class needs its own `code` and a row in CODES"
    )


@pytest.mark.parametrize(("cls", "code"), CODES.items(), ids=lambda v: getattr(v, "__name__", v))
def test_each_raisable_class_names_its_own_code(cls: type[e.AvitoError], code: str) -> None:
    assert "code" in vars(cls), f"{cls.__name__} inherits its code instead of naming it"
    assert cls.code == code


def test_codes_are_distinct_snake_case() -> None:
    codes = list(CODES.values())
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", code) for code in codes)


def test_category_bases_hold_exactly_their_classes_and_name_no_code() -> None:
    for base, members in CATEGORIES.items():
        assert "code" not in vars(base), f"{base.__name__} is a category, never raised"
        assert _tree(base) - {base} == members
    everything = set().union(*CATEGORIES.values())
    assert {cls for cls in CODES if cls not in everything} == {
        e.AvitoError,
        e.ConflictError,
        e.OAuthError,
        e.InvalidGrantError,
        e.InvalidClientError,
    }


def test_a_reconnect_is_an_avito_error_with_its_old_message() -> None:
    account = uuid.UUID("00000000-0000-4000-8000-000000000001")
    error = e.ReconnectRequiredError(account, "refresh refused (invalid_grant)")
    assert isinstance(error, e.AvitoError)
    assert (error.account_id, error.reason, error.code) == (
        account,
        "refresh refused (invalid_grant)",
        "reconnect_required",
    )
    assert (
        str(error) == f"Avito account {account} needs a reconnect: refresh refused (invalid_grant)"
    )
