"""Which webhook URLs the notifier calls: the URL is a host's choice, so it must not reach into
the deployment's own network."""

from __future__ import annotations

import pytest

from avito_sync.notify.channels.base import DeliveryError
from avito_sync.notify.channels.webhook import checked_url

DEV_HOSTS = frozenset({"127.0.0.1", "localhost"})


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/avito",
        "https://93.184.216.34/hook",
        "http://127.0.0.1:8080/hook",
        "http://localhost:9000/x",
        "https://localhost/x",
    ],
)
def test_public_https_and_allowed_dev_hosts_are_called(url: str) -> None:
    assert checked_url({"url": url}, DEV_HOSTS) == url


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.5/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[fd00::1]/hook",
        "https://127.0.0.1/hook",
        "https://0.0.0.0/hook",
        "https://metadata.google.internal/x",
        "https://printer.local/x",
        "https://localhost/x",
    ],
)
def test_local_and_private_addresses_are_refused_for_good(url: str) -> None:
    with pytest.raises(DeliveryError) as refused:
        checked_url({"url": url}, frozenset())
    assert refused.value.reason == "webhook: local and private addresses are not allowed"
    assert not refused.value.retryable


@pytest.mark.parametrize("url", ["http://hooks.example.com/x", "ftp://127.0.0.1/x"])
def test_plain_http_needs_the_allow_list(url: str) -> None:
    with pytest.raises(DeliveryError, match="only https"):
        checked_url({"url": url}, frozenset())
