#!/usr/bin/python3
"""What the direct path saves, on the namespace network (tests/support/testnet.sh).

`burrow connect` on the laptop pushes SIZE MB to a sink on the GPU box,
once through endpoint `lab`, which has a UPnP mapping on the lab router
(the direct path), and once through endpoint `lab2` on the same box without
one (through the relay on the VPS). The two take turns, `--reps` times each;
it prints the median MB/s and the CPU seconds the relay spent, and writes
them to bench/DIRECT_PATH.md, which bench/RESULTS.md includes (this script
puts it there, and bench/run keeps it). `--vps-rates` lists limits on what
the VPS sends (testnet.sh `rate vps`), as a cheap VPS's port would, one
measurement each; `off` is no limit.
Needs root; builds its own network (MKNET_PREFIX bdPID) and tears it down.

    bench/direct_path.py [--size-mb 200] [--reps 3] [--vps-rates off,100mbit]
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BURROW = os.environ.get("BURROW_BIN", str(REPO / "build" / "burrow"))
TESTNET = REPO / "tests" / "support" / "testnet.sh"
SINK = REPO / "tests" / "support" / "digest_server.py"
PORT = 7443


class Net:
    def __init__(self):
        self.env = dict(os.environ, MKNET_PREFIX=f"bd{os.getpid() % 100000}", MKNET_UPNP="1")
        self.vars = {}

    def run(self, *args):
        out = subprocess.run(["bash", str(TESTNET), *args], env=self.env, capture_output=True, check=True)
        return out.stdout.decode()

    def up(self):
        for line in self.run("up").splitlines():
            key, eq, value = line.partition("=")
            if eq:
                self.vars[key] = value

    def argv(self, node, *argv):
        return ["ip", "netns", "exec", self.vars[f"NS_{node.upper()}"], *map(str, argv)]


def wait_line(proc, pattern, timeout=30):
    """The first line of proc's merged output that matches, read as it comes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline().decode()
        if not line:
            break
        if re.search(pattern, line):
            return line
    raise SystemExit(f"direct_path: no line matching {pattern!r} from {proc.args}")


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def write_results(args, mapped, relay_addr, results):
    median = {rate: {path: (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))
                     for path, runs in by_path.items()} for rate, by_path in results.items()}
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "unknown"
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), "unknown CPU")
    lines = [
        "## Direct path (bench/direct_path.py)",
        "",
        f"Written by `bench/direct_path.py` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, burrow at "
        f"commit {commit}, on {cpu} ({os.cpu_count()} cores). On the namespace network, `burrow connect` on the "
        f"laptop pushes {args.size_mb} MB to a sink on the GPU box: *direct* through the lab router's UPnP "
        f"mapping {mapped} (endpoint `lab`), *relay* through the relay on the VPS {relay_addr} (endpoint `lab2`, "
        f"same box, no mapping). *VPS sends* is the limit put on the VPS's uplink, as a cheap VPS's port "
        f"would have. Median of {args.reps}, taking turns.",
        "",
        "| VPS sends | path | MB/s | relay CPU s | direct ÷ relay |",
        "|---|---|---:|---:|---:|",
    ]
    for rate, by_path in median.items():
        ratio = by_path["direct"][0] / by_path["relay"][0]
        for path, (mbps, cpu_s) in by_path.items():
            lines.append(f"| {'no limit' if rate == 'off' else rate} | {path} | {mbps:,.0f} | {cpu_s:.2f} | "
                         f"{f'{ratio:.2f}' if path == 'direct' else ''} |")
    lines.append("")
    text = "\n".join(lines)
    print(text)
    (REPO / "bench" / "DIRECT_PATH.md").write_text(text)
    results_md = REPO / "bench" / "RESULTS.md"
    if results_md.exists():
        old = results_md.read_text()
        start = old.find("## Direct path (bench/direct_path.py)")
        if start >= 0:
            end = old.find("\n## ", start + 1)
            old = old[:start] + old[end + 1 if end >= 0 else len(old):]
        at = old.find("## Where the time goes")
        at = at if at >= 0 else len(old)
        results_md.write_text(old[:at] + text + "\n" + old[at:])


def measure(args, net, data, relay, relay_addr, keys, work):
    """{"direct": [(MB/s, relay CPU s)], "relay": [...]}, taking turns."""
    results = {"direct": [], "relay": []}
    for rep in range(args.reps):
        order = [("direct", "lab"), ("relay", "lab2")]
        for path, name in order if rep % 2 == 0 else reversed(order):
            relay_cpu = cpu_seconds(relay.pid)
            begin = time.monotonic()
            with open(data, "rb") as stdin:
                done = subprocess.run(net.argv("laptop", BURROW, "connect", "--relay", relay_addr,
                                               "--relay-key", keys["relay"], f"{name}/sink"),
                                      env=dict(os.environ, BURROW_HOME=str(work / "laptop")), stdin=stdin,
                                      capture_output=True, timeout=600)
            seconds = time.monotonic() - begin
            went_direct = b"direct path to" in done.stderr
            if done.returncode != 0 or not done.stdout.decode().endswith(f" {args.size_mb << 20}\n") \
                    or went_direct != (path == "direct"):
                raise SystemExit(f"direct_path: {path} run failed: {done.stdout!r} {done.stderr.decode()}")
            results[path].append((args.size_mb / seconds, cpu_seconds(relay.pid) - relay_cpu))
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--vps-rates", default="off,100mbit")
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("direct_path: needs root (network namespaces)")
    work = Path(tempfile.mkdtemp(prefix="burrow-direct-bench-"))
    net, procs = Net(), []

    def start(node, argv, home, **kw):
        env = dict(os.environ, BURROW_HOME=str(work / home))
        p = subprocess.Popen(net.argv(node, *argv), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kw)
        procs.append(p)
        return p

    try:
        keys = {}
        for role in ("relay", "lab", "lab2", "laptop"):
            (work / role).mkdir(mode=0o700)
            out = subprocess.run([BURROW, "keygen", "-C", role], env=dict(os.environ, BURROW_HOME=str(work / role)),
                                 capture_output=True, check=True).stdout.decode()
            keys[role] = next(l for l in out.splitlines() if l.startswith("burrow-ed25519 "))
        net.up()
        relay_addr = f"{net.vars['VPS_IP']}:{PORT}"
        (work / "relay.toml").write_text(
            f'listen = "{relay_addr}"\n'
            + "".join(f'\n[[endpoints]]\nname = "{n}"\nkey = "{keys[n]}"\n' for n in ("lab", "lab2"))
            + f'\n[[clients]]\nname = "laptop"\nkey = "{keys["laptop"]}"\nallow = ["*/*"]\n')
        relay = start("vps", [BURROW, "relay", "-c", work / "relay.toml"], "relay")
        wait_line(relay, r"listening on")
        sink = subprocess.Popen(net.argv("gpubox", "/usr/bin/python3", SINK), stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL)
        procs.append(sink)
        sink_addr = sink.stdout.readline().decode().split()[-1]
        common = ["--relay", relay_addr, "--relay-key", keys["relay"], "--service", f"sink={sink_addr}",
                  "--allow", keys["laptop"]]
        lab = start("gpubox", [BURROW, "endpoint", "--name", "lab", "--upnp", *common], "lab")
        mapped = wait_line(lab, r"direct path: the router \S+ maps").split(" maps ")[1].split()[0]
        lab2 = start("gpubox", [BURROW, "endpoint", "--name", "lab2", *common], "lab2")
        wait_line(lab2, r"registered as")

        data = work / "data.bin"
        with open(data, "wb") as f:
            for _ in range(args.size_mb):
                f.write(os.urandom(1 << 20))
        results = {}
        for rate in args.vps_rates.split(","):
            net.run("rate", "vps", rate)
            results[rate] = measure(args, net, data, relay, relay_addr, keys, work)
        write_results(args, mapped, relay_addr, results)
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(2)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
        try:
            net.run("down")
        except subprocess.CalledProcessError as e:
            print(f"direct_path: tearing the network down: {e.stderr.decode()}", file=sys.stderr)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
