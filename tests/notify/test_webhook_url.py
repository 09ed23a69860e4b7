"""Which webhook / push URLs may be called (`netguard.check_url`, pure): the URL is a host's
choice, so it must not reach into the deployment's own network. The attack replays that
connect for real are in tests/security/test_webhook_ssrf.py."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from avito_sync.notify.netguard import UnsafeUrlError, canonical_host, check_url

DEV_HOSTS = frozenset({"127.0.0.1", "localhost"})


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/avito",
        "https://93.184.216.34/hook",
        "https://[2606:4700:4700::1111]/hook",
        "https://hooks.example.com:8443/x?y=1",
        "http://127.0.0.1:8080/hook",
        "http://localhost:9000/x",
    ],
)
def test_public_https_and_allowed_dev_hosts_pass(url: str) -> None:
    assert check_url(url, DEV_HOSTS).url == url


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.5/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[fd00::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://127.0.0.1/hook",
        "https://0.0.0.0/hook",
        "https://100.64.0.1/hook",
    ],
)
def test_local_and_private_addresses_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrlError, match="local and private"):
        check_url(url, frozenset())


@pytest.mark.parametrize(
    "host",
    ["2130706433", "0", "127.1", "0x7f000001", "0177.0.0.1", "0x7f.0.0.1", "127.0.0.01", "1.2.3"],
)
def test_non_canonical_numeric_hosts_are_refused(host: str) -> None:
    with pytest.raises(UnsafeUrlError, match="dotted-quad"):
        check_url(f"https://{host}/hook", frozenset())


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://hooks.example.com./x", "must not end with a dot"),
        ("https://localhost./x", "must not end with a dot"),
        ("https://localhost/x", "local host names"),
        ("https://intranet/x", "local host names"),
        ("https://metadata.google.internal/x", "local host names"),
        ("https://printer.local/x", "local host names"),
        ("https://user:pw@hooks.example.com/x", "credentials"),
        ("https://hooks.example.com@127.0.0.1/x", "credentials"),
        ("https://hóoks.example.com/x", "ASCII"),
        ("https://hooks_example.com/x", "malformed host"),
        ("http://hooks.example.com/x", "only https"),
        ("ftp://127.0.0.1/x", "only https"),
        ("https://hooks.example.com:0/x", "malformed url"),
        ("https://hooks.example.com/x y", "malformed url"),
    ],
)
def test_malformed_and_local_names_are_refused(url: str, reason: str) -> None:
    with pytest.raises(UnsafeUrlError, match=reason):
        check_url(url, frozenset())


@given(st.ip_addresses(v=4))
def test_a_numeric_host_passes_only_as_its_canonical_dotted_quad(
    address: ipaddress.IPv4Address,
) -> None:
    assert canonical_host(str(address)) == str(address)
    as_integer = str(int(address))
    as_hex = hex(int(address))
    for spelling in (as_integer, as_hex):
        with pytest.raises(UnsafeUrlError):
            canonical_host(spelling)
