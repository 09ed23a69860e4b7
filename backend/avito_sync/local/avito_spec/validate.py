"""Checking requests and responses against the loaded specs, with readable locations."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from avito_sync.local.avito_spec.load import _FORMATS, SchemaIssue, component_schema, operation


def _location(error: ValidationError, prefix: str = "") -> str:
    parts: list[str] = [prefix] if prefix else []
    for element in error.absolute_path:
        if isinstance(element, int):
            parts[-1:] = [f"{parts[-1] if parts else ''}[{element}]"]
        else:
            parts.append(str(element))
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = re.match(r"'([^']+)' is a required property", error.message)
        if missing:
            parts.append(missing.group(1))
    return ".".join(parts)


_VALIDATORS: dict[int, tuple[Mapping[str, Any], Draft202012Validator]] = {}


def _validator(schema: Mapping[str, Any]) -> Draft202012Validator:
    """Compiled once per schema object (the spec's schemas live as long as the process)."""
    cached = _VALIDATORS.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    validator = Draft202012Validator(schema, format_checker=_FORMATS)
    if len(_VALIDATORS) > 4096:  # callers passing throwaway schemas must not grow it forever
        _VALIDATORS.clear()
    _VALIDATORS[id(schema)] = (schema, validator)
    return validator


def schema_issues(
    schema: Mapping[str, Any] | None, instance: object, prefix: str = ""
) -> list[SchemaIssue]:
    """Validate ``instance`` against an already translated schema; ``None`` accepts anything."""
    if schema is None:
        return []
    validator = _validator(schema)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.path)))
    return [SchemaIssue(_location(e, prefix), e.message) for e in errors]


def request_body_issues(operation_id: str, body: object) -> list[SchemaIssue]:
    op = operation(operation_id)
    if op.request_schema is None:
        return []
    return schema_issues(op.request_schema, body)


def _coerce(value: str, schema: Mapping[str, Any]) -> object:
    """Query and path values arrive as strings; read them as the schema's type if possible."""
    kind = schema.get("type")
    if kind == "integer" and re.fullmatch(r"[+-]?\d+", value):
        return int(value)
    if kind == "number":
        try:
            return float(value)
        except ValueError:
            return value
    if kind == "boolean" and value in {"true", "false", "1", "0"}:
        return value in {"true", "1"}
    return value


def parameter_issues(
    operation_id: str, location: str, params: Mapping[str, str]
) -> list[SchemaIssue]:
    """Required, type, format and enum checks for query or path parameters.

    A string enum accepts a comma-separated list (items' ``status=active,old`` is documented);
    an array parameter (messenger's ``item_ids``, ``chat_types``) is a comma-separated list.
    """
    op = operation(operation_id)
    issues: list[SchemaIssue] = []
    for param in op.parameters:
        if param.location != location:
            continue
        raw = params.get(param.name)
        where = f"{location}.{param.name}"
        if raw is None:
            if param.required:
                issues.append(SchemaIssue(where, "is required"))
            continue
        schema = param.schema
        if schema.get("type") == "array":
            items = schema.get("items") or {}
            values = [_coerce(part, items) for part in raw.split(",")]
            issues.extend(schema_issues(schema, values, where))
            continue
        if schema.get("type") == "string" and "enum" in schema and "," in raw:
            for part in raw.split(","):
                issues.extend(schema_issues(schema, part, where))
            continue
        issues.extend(schema_issues(schema, _coerce(raw, schema), where))
    return issues


# messenger.json documents only the 200 answers; its error schemas exist as components.
MESSENGER_ERRORS = {
    400: "badRequestError",
    401: "authError",
    402: "purchasingError",
    403: "forbiddenError",
    404: "notFoundError",
    422: "validatingError",
    500: "serviceError",
    503: "serviceUnavailableError",
}


def response_issues(operation_id: str, status: int, body: object) -> list[SchemaIssue]:
    """Check a response body; a status the operation does not document is itself an issue
    (a messenger error is checked against the spec's error component for that status)."""
    op = operation(operation_id)
    response = op.response_for(status)
    if response is None and op.spec == "messenger" and status in MESSENGER_ERRORS:
        return schema_issues(component_schema("messenger", MESSENGER_ERRORS[status]), body, "body")
    if response is None:
        return [SchemaIssue("status", f"{status} is not documented for {operation_id}")]
    return schema_issues(response.schema, body, "body")


def validate_request_body(operation_id: str, body: object) -> list[str]:
    """Messages for every way ``body`` breaks the operation's request schema (empty: valid)."""
    return [str(i) for i in request_body_issues(operation_id, body)]


def validate_query(operation_id: str, params: Mapping[str, str]) -> list[str]:
    return [str(i) for i in parameter_issues(operation_id, "query", params)]


def validate_path(operation_id: str, params: Mapping[str, str]) -> list[str]:
    return [str(i) for i in parameter_issues(operation_id, "path", params)]


def validate_response(operation_id: str, status: int, body: object) -> list[str]:
    """Messages for every way a response breaks the spec (empty: valid)."""
    return [str(i) for i in response_issues(operation_id, status, body)]
