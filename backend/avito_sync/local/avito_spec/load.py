"""Loading the vendored specs: OpenAPI 3.0 translated once into JSON Schema, indexed by
operation id and by method and path."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import FormatChecker

_PACKAGE = "avito_sync.local.avito_spec"
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
    text = (
        resources.files(__package__ or "avito_sync.local.avito_spec")
        .joinpath(f"{name}.json")
        .read_text("utf-8")
    )
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
