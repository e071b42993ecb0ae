"""`burrow ssh-config`: its Host blocks, appended to a throwaway ssh config,
make plain `ssh lab`, scp, sftp and rsync go through burrow."""
import shlex

from conftest import describe, run, sha256_file, write_random_file


def ssh_config(burrow, relay, tmp_path, sshd, *extra):
    result = burrow("ssh-config", *relay.args, *extra)
    assert result.returncode == 0, describe(result)
    config = tmp_path / "ssh_config"
    # What a user keeps in ~/.ssh/config for every host, then burrow's blocks.
    config.write_text(f"IdentityFile {sshd.key}\nIdentitiesOnly yes\nBatchMode yes\nStrictHostKeyChecking no\n"
                      f"UserKnownHostsFile {tmp_path / 'known_hosts'}\nLogLevel ERROR\n\n" + result.stdout.decode())
    return config, result.stdout.decode()


def test_blocks_name_every_endpoint_with_ssh(relay, endpoint, sshd, http_server, burrow, tmp_path):
    endpoint({"ssh": sshd.addr}, name="lab")
    endpoint({"web": http_server.addr}, name="gpu")
    _, text = ssh_config(burrow, relay, tmp_path, sshd, "--user", "alice")
    hosts = [l.split()[1] for l in text.splitlines() if l.startswith("Host ")]
    assert hosts == ["lab"], text
    assert "    HostKeyAlias lab.burrow\n" in text and "    User alice\n" in text, text
    proxy = next(l for l in text.splitlines() if l.strip().startswith("ProxyCommand"))
    assert shlex.split(proxy.split(None, 1)[1])[1:] == ["connect", *relay.args, "%n", "ssh"], proxy
    missing = burrow("ssh-config", *relay.args, "gpu")
    assert missing.returncode == 1 and "endpoint 'gpu' is not one you may open ssh on" in missing.stderr.decode(), \
        describe(missing)


def test_ssh_scp_sftp_and_rsync_through_the_generated_config(relay, endpoint, sshd, burrow, burrow_env, tmp_path):
    endpoint({"ssh": sshd.addr}, name="lab")
    config, _ = ssh_config(burrow, relay, tmp_path, sshd)
    ssh = ["ssh", "-F", str(config)]

    result = run([*ssh, "lab", "echo", "hello from lab"], burrow_env)
    assert result.returncode == 0 and result.stdout == b"hello from lab\n", describe(result)

    src = write_random_file(tmp_path / "src.bin", 2 * 1024 * 1024)
    result = run(["scp", "-q", "-F", config, src, f"lab:{tmp_path / 'scp.bin'}"], burrow_env)
    assert result.returncode == 0 and sha256_file(tmp_path / "scp.bin") == sha256_file(src), describe(result)

    batch = tmp_path / "batch"
    batch.write_text(f"put {src} {tmp_path / 'sftp.bin'}\n")
    result = run(["sftp", "-F", config, "-b", batch, "lab"], burrow_env)
    assert result.returncode == 0 and sha256_file(tmp_path / "sftp.bin") == sha256_file(src), describe(result)

    result = run(["rsync", "-e", shlex.join(ssh), src, f"lab:{tmp_path / 'rsync.bin'}"], burrow_env)
    assert result.returncode == 0 and sha256_file(tmp_path / "rsync.bin") == sha256_file(src), describe(result)
