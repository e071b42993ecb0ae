"""A client's half-close (FIN) must reach the service, and the reply must come
back in full after it, both through a forward port and through burrow connect."""
import os

from clients import digest_check, digest_reply
from conftest import describe


def test_half_close_through_forward(lab):
    digest_check(lab.port("digest"), b"")
    digest_check(lab.port("digest"), b"short")
    digest_check(lab.port("digest"), os.urandom(4 * 1024 * 1024))


def test_half_close_through_connect(lab, burrow):
    data = os.urandom(4 * 1024 * 1024)
    result = burrow("connect", *lab.relay.args, "lab", "digest", input=data)
    assert result.returncode == 0, describe(result)
    assert result.stdout == digest_reply(data), describe(result)
