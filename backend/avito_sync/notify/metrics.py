"""Prometheus counters of the notifier (exposed when AVITO_SYNC_NOTIFY_METRICS_PORT is set)."""

from __future__ import annotations

from prometheus_client import Counter

DELIVERIES = Counter(
    "avito_sync_notify_deliveries_total",
    "Delivery attempts by channel kind and outcome (delivered, retry, failed, superseded).",
    ["channel", "outcome"],
)
WAKEUPS = Counter(
    "avito_sync_notify_wakeups_total",
    "Wake-ups of the notifier by reason (event, subscribed, timer).",
    ["reason"],
)
