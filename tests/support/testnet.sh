#!/usr/bin/env bash
# testnet.sh - the throw-away network of Linux network namespaces that burrow's
# network tests run in (tests/integration/netns.py): the relay on a VPS, the
# endpoint on a GPU box behind a lab router's NAT, clients on a laptop.
#
#   P-laptop  eth0 203.0.113.20 ─┐
#   P-vps     eth0 203.0.113.10 ─┼─ br0 in P-inet (the "internet" switch)
#   P-router  wan  11.77.0.2    ─┘      (NAT: masquerade out of wan, forward
#             br-lan 192.168.77.1 ─┐     policy drop, miniupnpd on br-lan)
#   P-gpubox  eth0 192.168.77.10 ──┤  (ports lan-gpu / lan-host on br-lan)
#   P-lanhost eth0 192.168.77.20 ──┘  (the always-on box that wakes the GPU box)
#
# P is MKNET_PREFIX: each test run picks its own, so instances never meet.
# Nothing is connected to the root namespace: every veth has both ends inside
# namespaces made here and no namespace routes to the outside, so no packet
# can leave the machine. As a further guard "up" adds 'unreachable' routes for
# the test prefixes in the root namespace (removed by the last "down"), so a
# test that forgot 'ip netns exec' fails at once instead of sending anything.
#
# The router's WAN is 11.77.0.2, not a documentation address, because
# miniupnpd and miniupnpc refuse mappings whose external address is private or
# reserved. The prefix exists only inside these namespaces.
# MKNET_WAN_MODE=cgnat puts the router behind a carrier NAT (WAN 100.64.77.2,
# an "isp" namespace masquerading to 11.77.0.2): UPnP then maps nothing useful.
#
# Needs root and: iproute2, nftables, iputils-ping; miniupnpd-nftables for
# `upnp`, conntrack for `rebind`, python3 for `wolcap` (scripts/deps --test).
#
# Usage: testnet.sh COMMAND [ARGS]
#   up                    build the network (and start miniupnpd if MKNET_UPNP=1);
#                         prints KEY=VALUE lines: NS_VPS, VPS_IP, PUBLIC_IP, ...
#   down                  kill every process in the namespaces, delete them
#   env                   print the KEY=VALUE lines again
#   exec NODE CMD...      run CMD in NODE (inet laptop vps router gpubox lanhost [isp])
#   link NODE up|down     carrier of NODE's uplink on or off
#   flap NODE SECONDS     uplink down, wait, up again
#   partition NODE [IP]   drop NODE's uplink traffic silently (only to/from IP if given):
#                         no RST, no FIN, so the peers' TCP connections go half-open
#   heal NODE             remove NODE's partition and loss rules
#   loss NODE PERCENT     drop PERCENT % of NODE's uplink packets both ways (0 = off)
#   rate NODE RATE|off    token-bucket limit on NODE's egress, e.g. 10mbit
#   rebind                NAT rebinding: flows leaving the router get new random
#                         source ports, conntrack flushed
#   upnp start|stop|wipe  the router's miniupnpd (UPnP IGD and NAT-PMP); wipe
#                         forgets every mapping and starts it again;
#                         "upnp start natpmp" starts it speaking NAT-PMP only
#   wolcap [SECONDS] [COUNT]  print the Wake-on-LAN frames seen on the GPU box's
#                         switch port: "udp DST:PORT HEX" or "ether DST HEX" lines;
#                         exit 1 if none came
#
# Environment:
#   MKNET_PREFIX     namespace name prefix (default tn)
#   MKNET_STATE      state folder (default /run/mknet/$MKNET_PREFIX): env, pids, logs
#   MKNET_UPNP       1 = start miniupnpd on "up" (default 0)
#   MKNET_WAN_MODE   public (default) | cgnat
#   MKNET_GUARD      1 = guard routes in the root namespace (default 1)
set -euo pipefail

P=${MKNET_PREFIX:-tn}
# /run/mknet is shared with other copies of this kind of builder on the same
# machine, so that the last instance down (of any of them) removes the guards.
STATE_ROOT=/run/mknet
STATE=${MKNET_STATE:-$STATE_ROOT/$P}
UPNP=${MKNET_UPNP:-0}
GUARD=${MKNET_GUARD:-1}
UPNP_PORT=5000
WAN_MODE=${MKNET_WAN_MODE:-}
if [ -z "$WAN_MODE" ] && [ -f "$STATE/env" ]; then  # later commands follow what "up" built
  WAN_MODE=$(sed -n 's/^MKNET_WAN_MODE=//p' "$STATE/env")
fi
WAN_MODE=${WAN_MODE:-public}
case $WAN_MODE in public|cgnat) ;; *) echo "testnet: MKNET_WAN_MODE must be public or cgnat" >&2; exit 1 ;; esac

INET_NET=203.0.113   # VPS and laptop (RFC 5737)
PUB_NET=11.77.0      # the lab's public side (must look public to miniupnpd)
LAN_NET=192.168.77
CGN_NET=100.64.77    # carrier NAT, cgnat mode only
VPS_IP=$INET_NET.10
LAPTOP_IP=$INET_NET.20
PUBLIC_IP=$PUB_NET.2
ROUTER_LAN_IP=$LAN_NET.1
GPUBOX_IP=$LAN_NET.10
LANHOST_IP=$LAN_NET.20
GPUBOX_MAC=02:00:00:77:00:10
LANHOST_MAC=02:00:00:77:00:20
ROUTER_LAN_MAC=02:00:00:77:00:01
GUARD_PREFIXES="$INET_NET.0/24 $PUB_NET.0/24 $LAN_NET.0/24 $CGN_NET.0/24"
GUARD_METRIC=4242

NODES="inet laptop vps router gpubox lanhost"
[ "$WAN_MODE" = cgnat ] && NODES="$NODES isp"

die() { echo "testnet: $*" >&2; exit 1; }
ns() { echo "$P-$1"; }
nx() { local n=$1; shift; ip netns exec "$(ns "$n")" "$@"; }
have_ns() { ip netns list | awk '{print $1}' | grep -qx "$1"; }
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' not found (scripts/deps --test installs it: $2)"; }
need_root() { [ "$(id -u)" = 0 ] || die "must run as root"; }

uplink() {
  case $1 in
    laptop|vps|gpubox|lanhost) echo eth0 ;;
    router|isp) echo wan ;;
    *) die "node '$1' has no uplink (laptop vps router gpubox lanhost isp)" ;;
  esac
}

# far NODE: "NODE2 IFACE", the other end of NODE's uplink. What NODE sends is
# dropped on the ingress of that far end: a drop in the sender's own output
# path comes back to its TCP as a local error and is retried at once, which
# is not loss on the wire.
far() {
  case $1 in
    laptop) echo "inet p-laptop" ;;
    vps) echo "inet p-vps" ;;
    gpubox) echo "router lan-gpu" ;;
    lanhost) echo "router lan-host" ;;
    router) if [ "$WAN_MODE" = cgnat ]; then echo "isp cpe"; else echo "inet p-router"; fi ;;
    isp) echo "inet p-router" ;;
    *) die "node '$1' has no uplink" ;;
  esac
}

write_env() {
  mkdir -p "$STATE"
  {
    echo "MKNET_PREFIX=$P"
    echo "MKNET_STATE=$STATE"
    echo "MKNET_WAN_MODE=$WAN_MODE"
    local n; for n in $NODES; do echo "NS_${n^^}=$(ns "$n")"; done
    echo "VPS_IP=$VPS_IP"
    echo "LAPTOP_IP=$LAPTOP_IP"
    echo "PUBLIC_IP=$PUBLIC_IP"
    if [ "$WAN_MODE" = cgnat ]; then echo "ROUTER_WAN_IP=$CGN_NET.2"; else echo "ROUTER_WAN_IP=$PUBLIC_IP"; fi
    echo "ROUTER_LAN_IP=$ROUTER_LAN_IP"
    echo "LAN_CIDR=$LAN_NET.0/24"
    echo "LAN_BROADCAST=$LAN_NET.255"
    echo "GPUBOX_IP=$GPUBOX_IP"
    echo "GPUBOX_MAC=$GPUBOX_MAC"
    echo "LANHOST_IP=$LANHOST_IP"
    echo "LANHOST_MAC=$LANHOST_MAC"
    echo "UPNP_DESC_URL=http://$ROUTER_LAN_IP:$UPNP_PORT/rootDesc.xml"
    echo "NATPMP_GATEWAY=$ROUTER_LAN_IP"
  } > "$STATE/env"
}

# a veth pair with both ends created inside namespaces, never in the root one
veth() { # nodeA ifA nodeB ifB [macA]
  local mac=()
  [ -n "${5:-}" ] && mac=(address "$5")
  ip link add "$2" netns "$(ns "$1")" "${mac[@]}" type veth peer name "$4" netns "$(ns "$3")"
}

addr() { # node iface cidr
  nx "$1" ip addr add "$3" dev "$2"
  nx "$1" ip link set "$2" up
}

# The router's firewall and NAT, with the empty chains miniupnpd fills.
router_nft() {
  nx router nft -f - <<EOF
table inet mknet_router {
  chain forward {
    type filter hook forward priority 0; policy drop;
    ct state established,related accept
    iifname "br-lan" oifname "wan" accept
    jump miniupnpd
  }
  chain miniupnpd { }
  chain prerouting {
    type nat hook prerouting priority -100; policy accept;
    jump prerouting_miniupnpd
  }
  chain postrouting {
    type nat hook postrouting priority 100; policy accept;
    jump postrouting_miniupnpd
    jump nat_out
  }
  chain prerouting_miniupnpd { }
  chain postrouting_miniupnpd { }
  chain nat_out {
    oifname "wan" masquerade
  }
}
EOF
}

guard_routes_add() {
  [ "$GUARD" = 1 ] || return 0
  local pfx
  for pfx in $GUARD_PREFIXES; do
    [ -n "$(ip route show exact "$pfx" 2>/dev/null)" ] ||
      ip route add unreachable "$pfx" metric $GUARD_METRIC 2>/dev/null || true
  done
}

guard_routes_del() {
  local other
  for other in "$STATE_ROOT"/*/env; do  # another instance is still up: keep them
    [ -e "$other" ] && [ "$(dirname "$other")" != "$STATE" ] && return 0
  done
  local pfx
  for pfx in $GUARD_PREFIXES; do
    ip route del unreachable "$pfx" metric $GUARD_METRIC 2>/dev/null || true
  done
}

build_wan() {
  if [ "$WAN_MODE" = cgnat ]; then
    veth router wan isp cpe
    addr router wan "$CGN_NET.2/24"
    addr isp cpe "$CGN_NET.1/24"
    nx router ip route add default via "$CGN_NET.1"
    veth isp wan inet p-router
    addr isp wan "$PUBLIC_IP/24"
    nx isp ip route add "$INET_NET.0/24" dev wan
    nx isp sysctl -qw net.ipv4.ip_forward=1
    nx isp nft -f - <<EOF
table inet mknet_isp {
  chain postrouting { type nat hook postrouting priority 100; policy accept; oifname "wan" masquerade; }
}
EOF
  else
    veth router wan inet p-router
    addr router wan "$PUBLIC_IP/24"
    nx router ip route add "$INET_NET.0/24" dev wan
  fi
  nx inet ip link set p-router master br0 up
}

cmd_up() {
  need_root
  need ip iproute2; need nft nftables; need ping iputils-ping
  local n
  for n in $NODES; do have_ns "$(ns "$n")" && die "namespace $(ns "$n") exists: run '$0 down' first"; done
  mkdir -p "$STATE"
  for n in $NODES; do
    ip netns add "$(ns "$n")"
    nx "$n" ip link set lo up
    nx "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null || true
  done

  # the internet: a bridge without an address, VPS and laptop on it
  nx inet ip link add br0 type bridge
  nx inet ip link set br0 up
  for n in vps laptop; do
    veth "$n" eth0 inet "p-$n"
    nx inet ip link set "p-$n" master br0 up
  done
  addr vps eth0 "$VPS_IP/24"
  addr laptop eth0 "$LAPTOP_IP/24"
  for n in vps laptop; do nx "$n" ip route add "$PUB_NET.0/24" dev eth0; done

  # the lab router: a LAN bridge, forwarding, NAT
  nx router ip link add br-lan address $ROUTER_LAN_MAC type bridge
  nx router ip link set br-lan up
  nx router ip addr add "$ROUTER_LAN_IP/24" brd "$LAN_NET.255" dev br-lan
  nx router sysctl -qw net.ipv4.ip_forward=1
  # Where br_netfilter is loaded, frames between LAN hosts would cross the
  # router's forward chain (policy drop) and LAN broadcasts such as
  # Wake-on-LAN would vanish. A home router's switch does not filter.
  local k
  for k in iptables ip6tables arptables; do
    nx router sysctl -qw "net.bridge.bridge-nf-call-$k=0" 2>/dev/null || true
  done
  build_wan
  router_nft

  # the lab LAN
  veth gpubox eth0 router lan-gpu $GPUBOX_MAC
  veth lanhost eth0 router lan-host $LANHOST_MAC
  for n in gpu host; do nx router ip link set "lan-$n" master br-lan up; done
  addr gpubox eth0 "$GPUBOX_IP/24"
  addr lanhost eth0 "$LANHOST_IP/24"
  for n in gpubox lanhost; do nx "$n" ip route add default via "$ROUTER_LAN_IP"; done

  write_env
  guard_routes_add
  local i  # bridge ports take a moment to forward
  for i in $(seq 1 50); do
    nx gpubox ping -c1 -W1 -q "$VPS_IP" >/dev/null 2>&1 &&
      nx laptop ping -c1 -W1 -q "$VPS_IP" >/dev/null 2>&1 && break
    sleep 0.1
  done
  [ "$UPNP" = 1 ] && upnp_start
  cat "$STATE/env"
}

kill_ns_procs() {
  local nsn=$1 pids pid i
  pids=$(ip netns pids "$nsn" 2>/dev/null || true)
  [ -n "$pids" ] || return 0
  for pid in $pids; do kill "$pid" 2>/dev/null || true; done
  for i in $(seq 1 20); do
    pids=$(ip netns pids "$nsn" 2>/dev/null || true)
    [ -n "$pids" ] || return 0
    sleep 0.1
  done
  for pid in $pids; do kill -9 "$pid" 2>/dev/null || true; done
}

cmd_down() {
  need_root
  upnp_stop
  local n
  for n in $NODES isp; do
    have_ns "$(ns "$n")" || continue
    kill_ns_procs "$(ns "$n")"
    ip netns del "$(ns "$n")"
  done
  rm -f "$STATE/env"
  guard_routes_del
  rm -rf "$STATE"
  echo "testnet: $P down"
}

# ---------------------------------------------------------------- faults

fault_tables() { # node: the tables that drop what NODE receives and what it sends
  local f; f=($(far "$1"))
  nx "$1" nft list table inet mknet_fault >/dev/null 2>&1 || nx "$1" nft -f - <<EOF
table inet mknet_fault {
  chain in { type filter hook prerouting priority -300; policy accept; }
}
EOF
  nx "${f[0]}" nft list table netdev "mknet_from_$1" >/dev/null 2>&1 || nx "${f[0]}" nft -f - <<EOF
table netdev mknet_from_$1 {
  chain in { type filter hook ingress device "${f[1]}" priority -300; policy accept; }
}
EOF
}

# drop_both NODE COMMENT [MATCH_IN] [MATCH_OUT]: a drop rule for each direction of NODE's uplink
drop_both() {
  local node=$1 why=$2 match_in=${3:-} match_out=${4:-} f; f=($(far "$node"))
  fault_tables "$node"
  # shellcheck disable=SC2086
  nx "$node" nft add rule inet mknet_fault in iifname "$(uplink "$node")" $match_in drop comment "\"$why\""
  # shellcheck disable=SC2086
  nx "${f[0]}" nft add rule netdev "mknet_from_$node" in $match_out drop comment "\"$why\""
}

cmd_partition() {
  local node=$1 ip=${2:-}
  if [ -n "$ip" ]; then drop_both "$node" partition "ip saddr $ip" "ip daddr $ip"
  else drop_both "$node" partition; fi
}

cmd_heal() {
  local f; f=($(far "$1"))
  nx "$1" nft delete table inet mknet_fault 2>/dev/null || true
  nx "${f[0]}" nft delete table netdev "mknet_from_$1" 2>/dev/null || true
}

cmd_loss() {
  local node=$1 pct=$2
  case $pct in ''|*[!0-9]*) die "loss: PERCENT must be 0..100" ;; esac
  [ "$pct" -le 100 ] || die "loss: PERCENT must be 0..100"
  cmd_heal "$node"
  [ "$pct" -eq 0 ] && return 0
  drop_both "$node" loss "numgen random mod 100 < $pct" "numgen random mod 100 < $pct"
}

cmd_rate() {
  local node=$1 rate=$2 up; up=$(uplink "$node")
  if [ "$rate" = off ]; then nx "$node" tc qdisc del dev "$up" root 2>/dev/null || true; return 0; fi
  nx "$node" tc qdisc replace dev "$up" root tbf rate "$rate" burst 32kbit latency 400ms
}

cmd_link() {
  local node=$1 state=$2
  case $state in up|down) ;; *) die "link: up or down" ;; esac
  nx "$node" ip link set "$(uplink "$node")" "$state"
  [ "$state" = up ] || return 0
  case $node in  # routes over that link went away with the carrier
    gpubox|lanhost) nx "$node" ip route replace default via "$ROUTER_LAN_IP" ;;
    router) if [ "$WAN_MODE" = cgnat ]; then nx router ip route replace default via "$CGN_NET.1"
            else nx router ip route replace "$INET_NET.0/24" dev wan; fi ;;
  esac
}

cmd_rebind() {
  need conntrack conntrack
  nx router nft flush chain inet mknet_router nat_out
  nx router nft add rule inet mknet_router nat_out oifname '"wan"' masquerade random
  nx router conntrack -F >/dev/null 2>&1 || true
  echo "testnet: the router maps flows to new random ports; conntrack flushed"
}

# ---------------------------------------------------------------- UPnP on the router

# PID is a process that has not exited (a zombie has: whoever reaps orphans
# here may be slow to, and miniupnpd would take it for itself running)
alive() { [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* (.*) Z ' "/proc/$1/stat" 2>/dev/null; }
upnp_running() { [ -f "$STATE/miniupnpd.pid" ] && alive "$(cat "$STATE/miniupnpd.pid")"; }

# upnp_start [natpmp]: natpmp = a router that speaks NAT-PMP only, no UPnP IGD
upnp_start() {
  need miniupnpd miniupnpd-nftables
  upnp_running && return 0
  local igd=yes; [ "${1:-}" = natpmp ] && igd=no
  cat > "$STATE/miniupnpd.conf" <<EOF
ext_ifname=wan
listening_ip=br-lan
http_port=$UPNP_PORT
ipv6_disable=yes
enable_upnp=$igd
enable_natpmp=yes
secure_mode=yes
system_uptime=yes
uuid=7b1c2d3e-4f50-4a6b-8c7d-$(printf '%012x' "$(cksum <<<"$P" | cut -d' ' -f1)")
friendly_name=burrow testnet router $P
upnp_table_name=mknet_router
upnp_nat_table_name=mknet_router
upnp_forward_chain=miniupnpd
upnp_nat_chain=prerouting_miniupnpd
upnp_nat_postrouting_chain=postrouting_miniupnpd
lease_file=$STATE/upnp.leases
min_lifetime=120
max_lifetime=86400
allow 1024-65535 $LAN_NET.0/24 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
EOF
  # -d: foreground, log to stderr; 'ip netns exec' execs, so $! is miniupnpd
  ip netns exec "$(ns router)" miniupnpd -f "$STATE/miniupnpd.conf" -d -P "$STATE/miniupnpd.run.pid" \
    >>"$STATE/miniupnpd.log" 2>&1 </dev/null &
  echo $! > "$STATE/miniupnpd.pid"
  local i
  for i in $(seq 1 50); do
    if [ $igd = yes ]; then
      nx router bash -c "exec 3<>/dev/tcp/$ROUTER_LAN_IP/$UPNP_PORT" 2>/dev/null && return 0
    else
      nx router ss -Hlun "sport = :5351" | grep -q . && return 0
    fi
    upnp_running || break
    sleep 0.1
  done
  tail -5 "$STATE/miniupnpd.log" >&2 || true
  die "miniupnpd did not come up (log: $STATE/miniupnpd.log)"
}

upnp_stop() {
  if upnp_running; then
    local pid i; pid=$(cat "$STATE/miniupnpd.pid")
    kill "$pid" 2>/dev/null || true
    for i in $(seq 1 30); do alive "$pid" || break; sleep 0.1; done
    alive "$pid" && kill -9 "$pid" 2>/dev/null
  fi
  rm -f "$STATE/miniupnpd.pid" "$STATE/miniupnpd.run.pid"
}

cmd_upnp() {
  case ${1:-} in
    start) upnp_start "${2:-}" ;;
    stop) upnp_stop ;;
    wipe)
      upnp_stop
      local c
      for c in miniupnpd prerouting_miniupnpd postrouting_miniupnpd; do
        nx router nft flush chain inet mknet_router "$c" 2>/dev/null || true
      done
      rm -f "$STATE/upnp.leases"
      upnp_start ;;
    *) die "upnp start [natpmp]|stop|wipe" ;;
  esac
}

# Wake-on-LAN frames on the router's switch port to the GPU box, read with a
# raw AF_PACKET socket.
cmd_wolcap() {
  need python3 python3
  nx router python3 - "${1:-5}" "${2:-1}" <<'PY'
import socket, struct, sys, time
secs, count = float(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(0x0003))
s.bind(("lan-gpu", 0x0003))  # ETH_P_ALL
s.settimeout(0.2)
end, seen = time.time() + secs, 0
while time.time() < end and seen < count:
    try:
        f = s.recv(65535)
    except socket.timeout:
        continue
    kind = struct.unpack("!H", f[12:14])[0]
    if kind == 0x0842:
        print("ether", f[0:6].hex(":"), f[14:].hex(), flush=True); seen += 1
    elif kind == 0x0800 and f[23] == 17:
        udp = f[14 + (f[14] & 0x0F) * 4:]
        port, length = struct.unpack("!H", udp[2:4])[0], struct.unpack("!H", udp[4:6])[0]
        if port in (0, 7, 9):
            print("udp", f"{socket.inet_ntoa(f[30:34])}:{port}", udp[8:length].hex(), flush=True); seen += 1
sys.exit(0 if seen else 1)
PY
}

main() {
  local c=${1:-}; shift || true
  case $c in
    up) cmd_up ;;
    down) cmd_down ;;
    env) [ -f "$STATE/env" ] || die "$P is not up"; cat "$STATE/env" ;;
    exec) [ $# -ge 2 ] || die "exec NODE CMD..."; local n=$1; shift; nx "$n" "$@" ;;
    link) cmd_link "${1:?node}" "${2:?up|down}" ;;
    flap) cmd_link "${1:?node}" down; sleep "${2:-2}"; cmd_link "$1" up ;;
    partition) cmd_partition "${1:?node}" "${2:-}" ;;
    heal) cmd_heal "${1:?node}" ;;
    loss) cmd_loss "${1:?node}" "${2:?percent}" ;;
    rate) cmd_rate "${1:?node}" "${2:?rate|off}" ;;
    rebind) cmd_rebind ;;
    upnp) cmd_upnp "$@" ;;
    wolcap) cmd_wolcap "${1:-5}" "${2:-1}" ;;
    ''|-h|--help|help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' ;;
    *) die "unknown command '$c' (try --help)" ;;
  esac
}
main "$@"
