"""Avito's official OpenAPI specs as validators for requests and responses.

The vendored specs (``avito_sync/specs/*.json``) are the contract for both the client and the
sandbox, so both validate against the same loaded copy. The specs are OpenAPI 3.0: their
``nullable`` keyword and local ``$ref``s are translated into plain JSON Schema (Draft 2020-12)
once, at load time. Quirks of the published files are tolerated here instead of editing them:
``auth.json`` spells ``/token`` three times with invisible U+200E marks so that its three grants
can coexist, and ``item.json`` has non-operation keys beside HTTP methods and an undeclared path
parameter in an operation this project does not use. ``messenger.json`` gives the array
parameter ``chat_types`` a string default (read as ``['u2i']``) and makes ``sendMessageRequestBody``
require a ``url`` it does not define (Avito's own example body has none; dropped in memory).
Ids typed ``int32`` are treated as 64-bit (real item ids have 10-12 digits).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

SPEC_NAMES = ("auth", "user", "item", "str", "messenger")
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options"})
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INVISIBLE = "\u200e\u200f\u200b"


@dataclass(frozen=True)
class SchemaIssue:
    """One validation failure: where (``prices[0].night_price``, ``query.date_start``) and why."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # "query", "path" or "header"
    required: bool
    schema: Mapping[str, Any]


@dataclass(frozen=True)
class Response:
    status: str  # "200", "429", "default"
    schema: Mapping[str, Any] | None  # None when the spec defines no body
    headers: tuple[str, ...]


@dataclass(frozen=True)
class Operation:
    """One operation of one spec, with every ``$ref`` resolved."""

    operation_id: str
    spec: str
    method: str
    path: str
    parameters: tuple[Parameter, ...]
    request_schema: Mapping[str, Any] | None
    request_media_type: str | None
    responses: Mapping[str, Response]
    scopes: tuple[str, ...]  # AuthorizationCode scopes; client_credentials needs none

    def response_for(self, status: int) -> Response | None:
        return self.responses.get(str(status)) or self.responses.get("default")


def normalise_path(path: str) -> str:
    """Strip the invisible marks auth.json uses to repeat ``/token``."""
    return path.strip(_INVISIBLE).translate({ord(c): None for c in _INVISIBLE})


@cache
def load_spec(name: str) -> dict[str, Any]:
    """The raw spec document as published (read from the package, never from ../shared)."""
    if name not in SPEC_NAMES:
        raise KeyError(f"unknown spec {name!r}; known: {', '.join(SPEC_NAMES)}")
    text = resources.files("avito_sync").joinpath("specs", f"{name}.json").read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    if name == "messenger":
        _fix_messenger(document)
    return document


def _fix_messenger(document: dict[str, Any]) -> None:
    """The two quirks of messenger.json (module docstring), fixed in the loaded copy only."""
    components = document.get("components", {})
    chat_types = components.get("parameters", {}).get("chatTypes", {}).get("schema", {})
    if isinstance(chat_types.get("default"), str):
        chat_types["default"] = chat_types["default"].split(",")
    send = components.get("schemas", {}).get("sendMessageRequestBody", {})
    if "url" in send.get("required", ()) and "url" not in send.get("properties", {}):
        send["required"] = [r for r in send["required"] if r != "url"]
        if not send["required"]:
            del send["required"]


def _resolve_pointer(document: Mapping[str, Any], ref: str) -> Any:
    if not ref.startswith("#/"):
        raise ValueError(f"only local $refs are supported, got {ref!r}")
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _to_json_schema(node: Any, document: Mapping[str, Any], depth: int = 0) -> Any:
    """Inline ``$ref``s and turn OpenAPI 3.0 ``nullable`` into JSON Schema null types."""
    if depth > 64:
        raise ValueError("schema nesting too deep (recursive $ref?)")
    if isinstance(node, list):
        return [_to_json_schema(item, document, depth + 1) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _to_json_schema(_resolve_pointer(document, node["$ref"]), document, depth + 1)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in {"example", "examples", "description", "nullable", "xml", "externalDocs"}:
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {k: _to_json_schema(v, document, depth + 1) for k, v in value.items()}
        else:
            out[key] = _to_json_schema(value, document, depth + 1)
    if node.get("nullable") is True:
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())

    @checker.checks("date", raises=ValueError)
    def _is_date(value: object) -> bool:
        if not isinstance(value, str):
            return True
        if not _DATE.fullmatch(value):
            return False
        dt.date.fromisoformat(value)
        return True

    @checker.checks("date-time", raises=ValueError)
    def _is_datetime(value: object) -> bool:
        if not isinstance(value, str):
            return True
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True

    @checker.checks("int64")
    @checker.checks("int32")  # ids typed int32 exceed it in reality; see module docstring
    def _is_int64(value: object) -> bool:
        return not isinstance(value, int) or INT64_MIN <= value <= INT64_MAX

    return checker


_FORMATS = _format_checker()


def _parameter(raw: Mapping[str, Any], document: Mapping[str, Any]) -> Parameter:
    resolved = _to_json_schema(raw, document)
    return Parameter(
        name=str(resolved["name"]),
        location=str(resolved["in"]),
        required=bool(resolved.get("required", False)),
        schema=resolved.get("schema", {}),
    )


def _response(status: str, raw: Mapping[str, Any], document: Mapping[str, Any]) -> Response:
    resolved = _to_json_schema(raw, document)
    content = resolved.get("content") or {}
    media = content.get("application/json") or next(iter(content.values()), None)
    schema = media.get("schema") if isinstance(media, dict) else None
    return Response(status=status, schema=schema, headers=tuple(resolved.get("headers") or {}))


def _scopes(raw: Mapping[str, Any]) -> tuple[str, ...]:
    for requirement in raw.get("security") or ():
        if "AuthorizationCode" in requirement:
            return tuple(requirement["AuthorizationCode"])
    return ()


def _operations_of(name: str) -> list[Operation]:
    document = load_spec(name)
    found: list[Operation] = []
    for raw_path, item in document.get("paths", {}).items():
        shared = [_parameter(p, document) for p in item.get("parameters", ())]
        for method, raw in item.items():
            if method not in HTTP_METHODS:  # "parameters", x-rate-limiter keys
                continue
            own = [_parameter(p, document) for p in raw.get("parameters", ())]
            by_key = {(p.name, p.location): p for p in [*shared, *own]}
            body = _to_json_schema(raw.get("requestBody") or {}, document)
            content = body.get("content") or {}
            media_type = next(iter(content), None)
            found.append(
                Operation(
                    operation_id=str(raw["operationId"]),
                    spec=name,
                    method=method.upper(),
                    path=normalise_path(raw_path),
                    parameters=tuple(by_key.values()),
                    request_schema=content[media_type].get("schema") if media_type else None,
                    request_media_type=media_type,
                    responses={
                        str(code): _response(str(code), resp, document)
                        for code, resp in raw.get("responses", {}).items()
                    },
                    scopes=_scopes(raw),
                )
            )
    return found


@cache
def operations() -> Mapping[str, Operation]:
    """Every operation of the vendored specs, by operationId."""
    return {op.operation_id: op for name in SPEC_NAMES for op in _operations_of(name)}


def operation(operation_id: str) -> Operation:
    try:
        return operations()[operation_id]
    except KeyError:
        raise KeyError(f"unknown operationId {operation_id!r}") from None


@cache
def _component_schema(spec: str, name: str) -> Any:
    document = load_spec(spec)
    return _to_json_schema(document["components"]["schemas"][name], document)


def component_schema(spec: str, name: str) -> Mapping[str, Any]:
    """A named schema of a spec, translated; e.g. ``("str", "Error")`` for the plain STR error
    (what the older published spec answered on a 409)."""
    schema: Mapping[str, Any] = _component_schema(spec, name)
    return schema


def _template_regex(path: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\\{([^}/]+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
    return re.compile(pattern)


def find_operation(method: str, path: str) -> Operation | None:
    """The operation serving a concrete request path (``/token/`` counts as ``/token``)."""
    method = method.upper()
    candidates = [path, path.rstrip("/")] if path.endswith("/") and path != "/" else [path]
    for op in operations().values():
        if op.method != method:
            continue
        regex = _template_regex(op.path)
        if any(regex.fullmatch(c) for c in candidates):
            return op
    return None


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
