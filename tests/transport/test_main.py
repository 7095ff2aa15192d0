"""What `chinwag server` logs about reaching it from the LAN, from what it really bound."""

from __future__ import annotations

from chinwag.transport.main import lan_lines

LAN = ["192.0.2.2", "198.51.100.7"]


def test_plain_and_tls_listeners_on_every_address_are_named_for_each_lan_address() -> None:
    assert lan_lines([("0.0.0.0", 6667)], [("0.0.0.0", 6697)], [], LAN) == [
        "people on your network can connect to 192.0.2.2:6667",
        "people on your network can connect to 198.51.100.7:6667",
        "people on your network can connect with TLS to 192.0.2.2:6697",
        "people on your network can connect with TLS to 198.51.100.7:6697",
    ]


def test_a_tls_only_server_names_no_plain_port() -> None:
    # It used to say "connect to <lan>:6667" from the config, with nothing listening there.
    assert lan_lines([], [("0.0.0.0", 34309)], [], LAN[:1]) == [
        "people on your network can connect with TLS to 192.0.2.2:34309"
    ]


def test_loopback_listeners_and_web_addresses() -> None:
    web = [("http", "0.0.0.0", 8080), ("https", "127.0.0.1", 8443)]
    assert lan_lines([("127.0.0.1", 6667)], [], web, LAN[:1]) == [
        "the web service is at http://192.0.2.2:8080/"
    ]
    assert lan_lines([("0.0.0.0", 6667)], [], [], []) == []
