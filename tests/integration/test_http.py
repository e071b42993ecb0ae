"""HTTP through a forward port."""
from clients import curl_check


def test_curl_fetches_files_through_forward(lab, burrow_env):
    for name in ("small.txt", "blob.bin"):
        curl_check(burrow_env, lab.port("web"), name, lab.http.sha256[name])


def test_forward_with_default_bind(relay, endpoint, forward, http_server, burrow_env):
    endpoint({"web": http_server.addr})
    fwd = forward("0:lab:web")
    curl_check(burrow_env, fwd.port_for("lab/web"), "small.txt", http_server.sha256["small.txt"])
