#!/usr/bin/env bash
# A test bed of separate network hosts on this machine, for the cluster
# platform's tests (tests/cluster/cluster_test.sh) and its benchmark
# (bench/scientific/cluster_vs_procs.sh). Sourced, not run.
#
# testbed_up N builds, in network namespaces of its own:
#   - a bridge in a namespace of its own (nothing is attached to the
#     machine's own network: every address below exists only in there),
#   - N hosts, each a namespace with one veth on the bridge (10.77.0.11..),
#     its own hostname (UTS namespace), its own /proc view (PID namespace,
#     sshd is its init), its own empty home folder (a tmpfs in its mount
#     namespace) and its own sshd listening on that address only,
#     key-only, with a host key and a client key generated for this run,
#   - a 'head' namespace on the same bridge (10.77.0.2) to run krgdemo in.
# It sets TB_DIR (a private mkdtemp folder), TB_HOSTS (the addresses),
# TB_CLUSTER (a cluster file listing the hosts), TB_SSH_CONFIG (the ssh
# client configuration krgdemo uses: the key, a private known_hosts,
# BatchMode) and TB_HEAD (the head namespace). testbed_down stops every
# process it started (by recorded PID) and deletes the namespaces; the
# caller traps it on EXIT. testbed_kill_host I kills every process of host I
# (its sshd is the init of its PID namespace, so the kernel ends them all).
# Needs root, iproute2, util-linux (unshare, nsenter) and openssh-server.

TB_PREFIX="krgtb$$"
TB_NS=()
TB_PIDS=()
TB_HOSTS=()
TB_SUBNET=10.77.0

tb_fail() {
    echo "testbed: $*" >&2
    return 1
}

# Runs "$@" in namespace $1.
tb_in() {
    local ns=$1
    shift
    ip netns exec "$ns" "$@"
}

tb_make_ns() {
    ip netns add "$1" || return 1
    TB_NS+=("$1")
    tb_in "$1" ip link set lo up
}

# A veth from the bridge to namespace $1, with address $2 there.
tb_attach() {
    local ns=$1 addr=$2 idx=$3
    local br_end="${TB_PREFIX}b$idx"
    ip link add "$br_end" netns "${TB_PREFIX}-br" type veth peer name eth0 \
        netns "$ns" || return 1
    tb_in "${TB_PREFIX}-br" ip link set "$br_end" master br0 up
    tb_in "$ns" ip addr add "$addr/24" dev eth0
    tb_in "$ns" ip link set eth0 up
}

tb_keys() {
    ssh-keygen -q -t ed25519 -N '' -C krgdemo-testbed -f "$TB_DIR/id" ||
        return 1
    cp "$TB_DIR/id.pub" "$TB_DIR/authorized_keys"
    ssh-keygen -q -t ed25519 -N '' -C krgdemo-testbed-host \
        -f "$TB_DIR/host_key" || return 1
    : >"$TB_DIR/known_hosts"
    cat >"$TB_DIR/ssh_config" <<EOF
Host *
  User root
  IdentityFile $TB_DIR/id
  IdentitiesOnly yes
  UserKnownHostsFile $TB_DIR/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  ConnectTimeout 5
  LogLevel ERROR
EOF
}

# sshd of host $1 (namespace), address $2, name $3.
tb_sshd() {
    local ns=$1 addr=$2 name=$3
    local dir="$TB_DIR/$name"
    mkdir -m 0700 "$dir"
    cat >"$dir/sshd_config" <<EOF
ListenAddress $addr:22
HostKey $TB_DIR/host_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $TB_DIR/authorized_keys
AuthenticationMethods publickey
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
# The keys live in a 0700 folder of root's under /tmp, which StrictModes
# refuses because /tmp itself is world-writable.
StrictModes no
MaxStartups 30:30:60
LoginGraceTime 20
LogLevel ERROR
EOF
    echo "$addr $(cut -d' ' -f1,2 "$TB_DIR/host_key.pub")" \
        >>"$TB_DIR/known_hosts"
    # sshd is the init of a PID namespace of its own: killing it (or the
    # unshare above it, --kill-child) ends every process of the host. Its
    # home folder is a tmpfs of its own (the host's mount namespace): a
    # login never runs this machine's ~/.bashrc, whose tools (pyenv's
    # rehash takes a lock in ~/.pyenv) a host killed mid-login would leave
    # locked for every later login.
    # shellcheck disable=SC2016 # $1..$3 are the inner shell's arguments
    ip netns exec "$ns" unshare --pid --fork --mount-proc --uts --kill-child \
        sh -c 'hostname "$1" && mount -t tmpfs -o mode=0700 tmpfs "$3" &&
            exec /usr/sbin/sshd -D -e -f "$2"' sh \
        "$name" "$dir/sshd_config" "$(getent passwd root | cut -d: -f6)" \
        2>>"$dir/sshd.log" &
    TB_PIDS+=($!)
    echo $! >"$dir/unshare.pid"
}

# Waits until host $2's sshd answers from the head.
tb_wait_ssh() {
    local addr=$1 tries=0
    until tb_in "$TB_HEAD" ssh -F "$TB_SSH_CONFIG" "$addr" true 2>/dev/null; do
        tries=$((tries + 1))
        [ "$tries" -lt 50 ] || tb_fail "sshd on $addr does not answer" ||
            return 1
        sleep 0.1
    done
}

testbed_up() {
    local n=$1 i
    [ "$(id -u)" -eq 0 ] || tb_fail "needs root (network namespaces)" ||
        return 1
    [ -x /usr/sbin/sshd ] || tb_fail "needs openssh-server (make deps)" ||
        return 1
    TB_DIR=$(mktemp -d /tmp/krgdemo-testbed.XXXXXX) || return 1
    chmod 0700 "$TB_DIR"
    TB_SSH_CONFIG="$TB_DIR/ssh_config"
    TB_CLUSTER="$TB_DIR/cluster"
    TB_HEAD="${TB_PREFIX}-head"
    # sshd refuses to start without its privilege separation folder.
    [ -d /run/sshd ] || mkdir -m 0755 /run/sshd
    tb_keys || return 1
    tb_make_ns "${TB_PREFIX}-br" || return 1
    tb_in "${TB_PREFIX}-br" ip link add br0 type bridge
    tb_in "${TB_PREFIX}-br" ip link set br0 up
    tb_make_ns "$TB_HEAD" || return 1
    tb_attach "$TB_HEAD" "$TB_SUBNET.2" 0 || return 1
    echo "# krgdemo test bed: $n hosts" >"$TB_CLUSTER"
    for i in $(seq 1 "$n"); do
        local addr="$TB_SUBNET.$((10 + i))"
        tb_make_ns "${TB_PREFIX}-h$i" || return 1
        tb_attach "${TB_PREFIX}-h$i" "$addr" "$i" || return 1
        tb_sshd "${TB_PREFIX}-h$i" "$addr" "h$i"
        TB_HOSTS+=("$addr")
        echo "$addr 1 512M" >>"$TB_CLUSTER"
    done
    for addr in "${TB_HOSTS[@]}"; do tb_wait_ssh "$addr" || return 1; done
}

# The PID (in this machine's view) of host $1's init, its sshd.
tb_host_init() {
    local unshare_pid
    unshare_pid=$(cat "$TB_DIR/h$1/unshare.pid")
    pgrep -P "$unshare_pid" | head -n 1
}

# `ps` inside host $1's PID namespace: every process it runs.
testbed_ps() {
    nsenter -t "$(tb_host_init "$1")" -p -m ps -e -o pid=,comm=
}

testbed_kill_host() {
    kill -KILL "$(tb_host_init "$1")"
}

testbed_down() {
    local pid ns
    # `|| true`: this runs as an EXIT trap, under the caller's `set -e`.
    for pid in "${TB_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    for pid in "${TB_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    for ns in "${TB_NS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
    if [ -n "${TB_DIR:-}" ] && [ -d "$TB_DIR" ]; then rm -rf "$TB_DIR"; fi
    TB_NS=()
    TB_PIDS=()
}
