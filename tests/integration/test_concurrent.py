"""Everything at once over one relay and a single endpoint session."""
import os
import traceback
from concurrent.futures import ThreadPoolExecutor

from clients import curl_check, digest_check, scp_check, ssh_echo_check, ws_echo_check


def test_mixed_traffic_concurrently(lab, burrow_env, big_file, tmp_path):
    src, digest = big_file
    env, relay, sshd = burrow_env, lab.relay, lab.sshd
    blob = lab.http.sha256["blob.bin"]
    jobs = {
        "scp download": lambda: scp_check(env, sshd, f"127.0.0.1:{src}", tmp_path / "down.bin",
                                          tmp_path / "down.bin", digest, relay=relay),
        "scp upload": lambda: scp_check(env, sshd, src, f"127.0.0.1:{tmp_path / 'up.bin'}",
                                        tmp_path / "up.bin", digest, port=lab.port("ssh")),
    }
    for i in range(4):
        jobs[f"curl {i}"] = lambda: curl_check(env, lab.port("web"), "blob.bin", blob)
        jobs[f"ssh proxy {i}"] = lambda: ssh_echo_check(env, sshd, relay=relay)
        jobs[f"ssh forward {i}"] = lambda: ssh_echo_check(env, sshd, port=lab.port("ssh"))
        jobs[f"websocket {i}"] = lambda: ws_echo_check(lab.port("ws"))
        jobs[f"half-close {i}"] = lambda: digest_check(lab.port("digest"),
                                                       os.urandom(2 * 1024 * 1024))

    def attempt(job):
        try:
            job()
            return None
        except BaseException:
            return traceback.format_exc()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = {name: pool.submit(attempt, job) for name, job in jobs.items()}
        errors = {name: f.result() for name, f in futures.items()}
    failed = {name: err for name, err in errors.items() if err}
    assert not failed, "\n".join(f"== {name}\n{err}" for name, err in failed.items())
    assert lab.endpoint.alive() and lab.forward.proc.alive()
