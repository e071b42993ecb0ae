"""Config files instead of flags, and flags overriding them."""
from clients import curl_check, digest_reply
from conftest import (describe, free_port, start_endpoint, start_forward,
                      start_relay)


def test_all_roles_from_config_files(procs, burrow, burrow_env, tmp_path,
                                     http_server, digest_server):
    (tmp_path / "relay.toml").write_text('listen = "127.0.0.1:0"\n')
    relay = start_relay(procs, "-c", tmp_path / "relay.toml")
    (tmp_path / "endpoint.toml").write_text(
        f'name = "lab"\nrelay = "{relay.addr}"\n\n[services]\n'
        f'web = "{http_server.addr}"\ndigest = "{digest_server.addr}"\n')
    start_endpoint(procs, "-c", tmp_path / "endpoint.toml")
    (tmp_path / "client.toml").write_text(f'relay = "{relay.addr}"\n')

    fwd = start_forward(procs, "-c", tmp_path / "client.toml", specs=["0:lab:web"])
    curl_check(burrow_env, fwd.port_for("lab/web"), "small.txt", http_server.sha256["small.txt"])

    result = burrow("connect", "-c", tmp_path / "client.toml", "lab", "digest", input=b"abc")
    assert result.returncode == 0, describe(result)
    assert result.stdout == digest_reply(b"abc"), describe(result)
    result_ls = burrow("ls", "--relay", relay.addr)
    assert result_ls.stdout.decode().split() == ["lab", "digest", "web"], describe(result_ls)


def test_flags_override_config(procs, relay, burrow_env, tmp_path, http_server):
    (tmp_path / "endpoint.toml").write_text(
        f'name = "elsewhere"\nrelay = "127.0.0.1:{free_port()}"\n\n[services]\n'
        f'web = "{http_server.addr}"\n')
    start_endpoint(procs, "-c", tmp_path / "endpoint.toml", "--relay", relay.addr,
                   "--name", "lab")
    (tmp_path / "client.toml").write_text(f'relay = "127.0.0.1:{free_port()}"\n')
    fwd = start_forward(procs, "-c", tmp_path / "client.toml", "--relay", relay.addr,
                        specs=["0:lab:web"])
    curl_check(burrow_env, fwd.port_for("lab/web"), "blob.bin", http_server.sha256["blob.bin"])
