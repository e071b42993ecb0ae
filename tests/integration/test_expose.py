"""A public port on the relay, the Oray way: `[[expose]]` makes the relay
listen on a port of its own and carry each connection to one target, so a
machine without burrow runs plain `ssh -p 2222 relay-host`. Sources outside
`from` are refused; a reload removes the port. On the namespace network: the
relay on the VPS, sshd and the endpoint on the GPU box, plain ssh and scp on
the laptop."""
import signal

from conftest import BURROW, COMMAND_TIMEOUT, describe, run, sha256_file, write_random_file
pytest_plugins = ["netns"]  # the mknet and rig fixtures (tests/integration/netns.py)

PORT = 2222


def run_burrow(args, env):
    return run([BURROW, *args], env)


def expose_toml(laptop_ip):
    return f'\n[[expose]]\nport = {PORT}\ntarget = "lab/ssh"\nfrom = ["{laptop_ip}/32"]\n'


def test_exposed_port_carries_plain_ssh_and_scp_and_reload_removes_it(rig, sshd, tmp_path):
    laptop_ip, vps_ip = rig.net.ip("laptop"), rig.net.ip("vps")
    relay = rig.start_relay(extra=expose_toml(laptop_ip))
    relay.proc.wait_for_line(contains=f"port {vps_ip}:{PORT} -> lab/ssh is open", stream="stderr")
    gpu_sshd = rig.sshd(sshd)
    endpoint = rig.start_endpoint({"ssh": gpu_sshd.addr})
    ssh = ["ssh", *gpu_sshd.options(), "-p", str(PORT), vps_ip]

    # The relay opens these streams with its own key: the endpoint decides whether it may.
    result = rig.net.run("laptop", *ssh, "true")
    assert result.returncode == 255, describe(result)
    relay_fp = run_burrow(["id", "--fingerprint"], rig.keys.env("relay")).stdout.decode().strip()
    endpoint.wait_for_line(contains=f"refused: {relay_fp} is not allowed to reach 'ssh' here", stream="stderr")
    allowed = run_burrow(["endpoint", "allow", rig.keys.pub("relay"), "--service", "ssh"], rig.keys.env("lab"))
    assert allowed.returncode == 0 and f"allowed {relay_fp} to reach ssh".encode() in allowed.stdout, \
        describe(allowed)
    reloaded = run_burrow(["endpoint", "reload"], rig.keys.env("lab"))
    assert reloaded.returncode == 0 and b"2 client(s) allowed" in reloaded.stdout, describe(reloaded)

    result = rig.net.run("laptop", *ssh, "echo", "reached-through-the-relay")
    assert result.returncode == 0 and result.stdout == b"reached-through-the-relay\n", describe(result)

    src = write_random_file(tmp_path / "up.bin", 4 * 1024 * 1024)
    dst = tmp_path / "copied.bin"
    result = rig.net.run("laptop", "scp", "-q", *gpu_sshd.options(), "-P", str(PORT), src, f"{vps_ip}:{dst}",
                         timeout=COMMAND_TIMEOUT)
    assert result.returncode == 0, describe(result)
    assert sha256_file(dst) == sha256_file(src)

    # The GPU box reaches the VPS from the lab's public address: not in `from`.
    try:
        with rig.net.connect("gpubox", PORT, host=vps_ip) as s:
            data = s.recv(100)
    except ConnectionResetError:  # at connect() or at the first read
        data = b""
    assert data == b"", data
    relay.proc.wait_for_line(contains="refused 1 connection(s) from outside its from list", stream="stderr")

    # A reload without the [[expose]] closes the port; the relay goes on.
    rig.relay_config.write_text(rig.relay_config.read_text().split("\n[[expose]]")[0])
    relay.proc.signal(signal.SIGHUP)
    relay.proc.wait_for_line(contains=f"port {vps_ip}:{PORT} -> lab/ssh closed", stream="stderr")
    result = rig.net.run("laptop", *ssh, "true")
    assert result.returncode == 255 and b"Connection refused" in result.stderr, describe(result)
    ls, _ = rig.ls()
    assert "lab ssh" in ls
