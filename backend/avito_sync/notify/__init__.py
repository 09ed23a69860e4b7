"""Notifier: delivers outbox events (public.notification_events) to hosts' channels.

Fan-out into deliveries happens in the database when an event is inserted; this package claims
due deliveries, renders Russian messages and sends them to Telegram, webhooks or Web Push
with retries.
It is woken by Supabase Realtime (`realtime` package) or LISTEN/NOTIFY, catches up after every
(re)connect and sweeps periodically, so nothing is lost while it is down.
"""

from typing import Literal

Source = Literal["realtime", "listen"]
"""Where the notifier's wake-ups come from (AVITO_SYNC_NOTIFY_SOURCE)."""
