"""WebSocket echo through a forward port."""
import os

from clients import ws_echo_check


def test_websocket_echo_through_forward(lab):
    ws_echo_check(lab.port("ws"), ["hello", "", b"\x00\x01\x02", "é" * 1000,
                                   os.urandom(1024 * 1024), "bye"])
