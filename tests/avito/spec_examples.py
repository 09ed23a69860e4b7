"""Build example documents from the specs' own `example` values (test helper)."""

from __future__ import annotations

from typing import Any

from avito_sync.local.avito_spec import load_spec

_FILLERS: dict[str | None, Any] = {
    "date-time": "2026-05-21T12:00:00+03:00",
    "date": "2026-05-21",
    "string": "text",
    "integer": 1,
    "number": 1,
    "boolean": True,
}


def _resolve(node: Any, document: dict[str, Any]) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = document
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


def example_from_schema(node: Any, document: dict[str, Any]) -> Any:
    """An instance made of the schema's examples; without one, the first enum value or a
    plain value of the declared format/type."""
    node = _resolve(node, document)
    if "example" in node:
        return node["example"]
    if node.get("type") == "object" or "properties" in node:
        return {
            name: example_from_schema(prop, document)
            for name, prop in node.get("properties", {}).items()
        }
    if node.get("type") == "array":
        return [example_from_schema(node.get("items", {}), document)]
    if "enum" in node:
        return node["enum"][0]
    return _FILLERS.get(node.get("format") or node.get("type"))


def component_example(spec: str, schema: str) -> Any:
    document = load_spec(spec)
    return example_from_schema(document["components"]["schemas"][schema], document)


def operation_raw(spec: str, operation_id: str) -> dict[str, Any]:
    for item in load_spec(spec)["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                return op
    raise KeyError(operation_id)


def request_example(spec: str, operation_id: str) -> Any:
    content = operation_raw(spec, operation_id)["requestBody"]["content"]
    return next(iter(content.values()))["example"]


def response_example(spec: str, operation_id: str, status: str = "200") -> Any:
    document = load_spec(spec)
    content = operation_raw(spec, operation_id)["responses"][status]["content"]
    media = next(iter(content.values()))
    if "example" in media:
        return media["example"]
    return example_from_schema(media["schema"], document)
