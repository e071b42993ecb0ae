"""ssh and scp through burrow: ProxyCommand (burrow connect) and a forward port."""
from clients import scp_check, ssh_echo_check


def test_ssh_via_proxycommand(lab, burrow_env):
    ssh_echo_check(burrow_env, lab.sshd, relay=lab.relay)


def test_ssh_via_forward_port(lab, burrow_env):
    ssh_echo_check(burrow_env, lab.sshd, port=lab.port("ssh"))


def test_scp_100mb_upload_and_download(lab, burrow_env, big_file, tmp_path):
    src, digest = big_file
    uploaded = tmp_path / "uploaded.bin"
    downloaded = tmp_path / "downloaded.bin"
    scp_check(burrow_env, lab.sshd, src, f"127.0.0.1:{uploaded}", uploaded, digest,
              relay=lab.relay)
    scp_check(burrow_env, lab.sshd, f"127.0.0.1:{src}", downloaded, downloaded, digest,
              port=lab.port("ssh"))
