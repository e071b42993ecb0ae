"""Record keys are replaced every 2^24 records on both layers (the links to
the relay and end to end), both ends in step (docs/PROTOCOL.md §1.3, §7.4).
With the limit lowered to 64 records in all three processes (the test
setting BURROW_TEST_RECORDS_PER_KEY, which each says it uses), 100 MB
crosses about 100 key changes on each layer and arrives byte-exact."""
import subprocess

from conftest import BURROW, describe, start_endpoint

LOW = {"BURROW_TEST_RECORDS_PER_KEY": "64"}
NOTICE = "test setting BURROW_TEST_RECORDS_PER_KEY: record keys are replaced every 64 records"
TRANSFER_TIMEOUT = 300


def test_100_mb_cross_many_key_changes_on_both_layers(make_relay, procs, keys, digest_server, big_file):
    relay = make_relay(env=LOW)
    relay.proc.wait_for_line(contains=NOTICE, stream="stderr")
    lab = start_endpoint(procs, *relay.args, "--name", "lab", "--service", f"digest={digest_server.addr}",
                         env=keys.env("lab", **LOW))
    lab.wait_for_line(contains=NOTICE, stream="stderr")
    path, digest = big_file
    with open(path, "rb") as data:
        result = subprocess.run([BURROW, "connect", *relay.args, "lab", "digest"], stdin=data,
                                env=keys.env("client", **LOW), capture_output=True, timeout=TRANSFER_TIMEOUT)
    assert result.returncode == 0, describe(result)
    assert result.stdout == f"{digest} {100 * 1024 * 1024}\n".encode(), describe(result)
    assert NOTICE in result.stderr.decode(), describe(result)
