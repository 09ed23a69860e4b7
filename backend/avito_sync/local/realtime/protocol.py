"""Phoenix vsn 1.0.0 frames and postgres_changes bindings, as pure functions.

The join reply must list the client's bindings in the same order with a server id each:
realtime-py compares them position by position and fires a callback only when its binding id
is in a change's `ids`.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

EVENTS = frozenset({"INSERT", "UPDATE", "DELETE", "*"})


class ProtocolError(ValueError):
    """A join the stand-in cannot honour; the reason goes back in a phx_reply error."""


@dataclass(frozen=True)
class Filter:
    column: str
    value: str

    def matches(self, record: Mapping[str, Any] | None) -> bool:
        if record is None or self.column not in record:
            return False
        return _as_text(record[self.column]) == self.value


@dataclass(frozen=True)
class Binding:
    id: int
    event: str
    schema: str
    table: str | None
    filter: str | None
    parsed_filter: Filter | None

    def reply_entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"id": self.id, "event": self.event, "schema": self.schema}
        if self.table is not None:
            entry["table"] = self.table
        if self.filter is not None:
            entry["filter"] = self.filter
        return entry

    def matches(self, change: Mapping[str, Any]) -> bool:
        """`change` is a postgres_changes `data` object."""
        if self.event not in ("*", change["type"]):
            return False
        if self.schema not in ("*", change["schema"]):
            return False
        if self.table not in (None, "*", change["table"]):
            return False
        if self.parsed_filter is None:
            return True
        if change["type"] == "DELETE":  # Realtime cannot filter deletes either
            return False
        return self.parsed_filter.matches(change.get("record"))


def _as_text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "null" if value is None else str(value)


def parse_filter(text: str) -> Filter:
    """Only `column=eq.value` is honoured locally; anything else is refused at join."""
    column, sep, rest = text.partition("=")
    op, dot, value = rest.partition(".")
    if not sep or not dot or not column or op != "eq" or "," in text:
        raise ProtocolError(f"realtime-local supports only 'column=eq.value' filters, got {text!r}")
    return Filter(column.strip(), value)


def binding_id(event: str, schema: str, table: str | None, filter_: str | None) -> int:
    """A stable, non-zero id per distinct binding (realtime-py ignores id 0)."""
    key = f"{event}\x1f{schema}\x1f{table or ''}\x1f{filter_ or ''}".encode()
    return (zlib.crc32(key) & 0x7FFFFFFF) or 1


def parse_bindings(payload: Mapping[str, Any]) -> list[Binding]:
    config = payload.get("config")
    raw = config.get("postgres_changes", []) if isinstance(config, Mapping) else []
    if not isinstance(raw, list):
        raise ProtocolError("config.postgres_changes must be a list")
    bindings = []
    for item in raw:
        if not isinstance(item, Mapping):
            raise ProtocolError("each postgres_changes binding must be an object")
        event = item.get("event")
        schema = item.get("schema", "public")
        table = item.get("table")
        filter_ = item.get("filter")
        if event not in EVENTS:
            raise ProtocolError(f"unsupported event {event!r}")
        if not isinstance(schema, str) or not (table is None or isinstance(table, str)):
            raise ProtocolError("schema and table must be strings")
        if filter_ is not None and not isinstance(filter_, str):
            raise ProtocolError("filter must be a string")
        parsed = parse_filter(filter_) if filter_ else None
        bindings.append(
            Binding(
                binding_id(event, schema, table, filter_), event, schema, table, filter_, parsed
            )
        )
    return bindings


def frame(
    event: str, topic: str, payload: Mapping[str, Any], ref: str | None = None
) -> dict[str, Any]:
    return {"event": event, "topic": topic, "payload": dict(payload), "ref": ref}


def reply(
    topic: str, ref: str | None, response: Mapping[str, Any], *, ok: bool = True
) -> dict[str, Any]:
    return frame(
        "phx_reply", topic, {"status": "ok" if ok else "error", "response": dict(response)}, ref
    )


def join_reply(topic: str, ref: str | None, bindings: Sequence[Binding]) -> dict[str, Any]:
    return reply(topic, ref, {"postgres_changes": [b.reply_entry() for b in bindings]})


def subscribed(topic: str) -> dict[str, Any]:
    return frame(
        "system",
        topic,
        {
            "channel": topic.removeprefix("realtime:"),
            "extension": "postgres_changes",
            "message": "Subscribed to PostgreSQL",
            "status": "ok",
        },
    )


def changes(topic: str, ids: Sequence[int], data: Mapping[str, Any]) -> dict[str, Any]:
    return frame("postgres_changes", topic, {"ids": list(ids), "data": dict(data)})
