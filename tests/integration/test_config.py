"""Config files instead of flags, and flags overriding them."""
import shutil

from clients import curl_check, digest_reply
from conftest import describe, relay_toml, start_endpoint, start_forward, start_relay


def test_all_roles_from_config_files(procs, burrow, keys, tmp_path,
                                     http_server, digest_server):
    # Each role's identity comes from the `key` of its config (relative to the
    # config's folder); BURROW_HOME points at an empty folder, so a fallback to
    # the default identity would make a new, ungranted key.
    for role in ("relay", "lab", "client"):
        shutil.copy2(keys.file(role), tmp_path / f"{role}_id")
    env = keys.env("nobody")
    (tmp_path / "relay.toml").write_text(relay_toml(
        key="relay_id", endpoints=[("lab", keys.pub("lab"))],
        clients=[("alice", keys.pub("client"), ["lab/*"])]))
    relay = start_relay(procs, "-c", tmp_path / "relay.toml", env=env)
    assert relay.key == keys.pub("relay")
    (tmp_path / "endpoint.toml").write_text(
        f'name = "lab"\nrelay = "{relay.addr}"\nrelay_key = "{relay.key}"\nkey = "lab_id"\n\n'
        f'[services]\nweb = "{http_server.addr}"\ndigest = "{digest_server.addr}"\n')
    start_endpoint(procs, "-c", tmp_path / "endpoint.toml", env=env)
    (tmp_path / "client.toml").write_text(
        f'relay = "{relay.addr}"\nrelay_key = "{relay.key}"\nkey = "client_id"\n')

    fwd = start_forward(procs, "-c", tmp_path / "client.toml", specs=["0:lab:web"], env=env)
    curl_check(env, fwd.port_for("lab/web"), "small.txt", http_server.sha256["small.txt"])

    result = burrow("connect", "-c", tmp_path / "client.toml", "lab", "digest", input=b"abc",
                    env=env)
    assert result.returncode == 0, describe(result)
    assert result.stdout == digest_reply(b"abc"), describe(result)
    result_ls = burrow("ls", *relay.args)
    assert result_ls.stdout.decode().split() == ["lab", "digest", "web"], describe(result_ls)


def test_flags_override_config(procs, relay, keys, burrow_env, tmp_path, http_server, reserve_port):
    # The config names another relay, a wrong relay key and an identity the
    # relay does not grant `lab` to; the flags give the right ones.
    (tmp_path / "endpoint.toml").write_text(
        f'name = "elsewhere"\nrelay = "127.0.0.1:{reserve_port()}"\n'
        f'relay_key = "{keys.pub("gpu")}"\nkey = "{keys.file("gpu")}"\n\n'
        f'[services]\nweb = "{http_server.addr}"\n')
    start_endpoint(procs, "-c", tmp_path / "endpoint.toml", "--relay", relay.addr,
                   "--relay-key", relay.key, "--key", keys.file("lab"), "--name", "lab",
                   env=keys.env("nobody"))
    (tmp_path / "client.toml").write_text(
        f'relay = "127.0.0.1:{reserve_port()}"\nrelay_key = "{keys.pub("gpu")}"\n'
        f'key = "{keys.file("lab")}"\n')
    fwd = start_forward(procs, "-c", tmp_path / "client.toml", *relay.args,
                        "--key", keys.file("client"), specs=["0:lab:web"])
    curl_check(burrow_env, fwd.port_for("lab/web"), "blob.bin", http_server.sha256["blob.bin"])
