# Runs a Docker-compatible engine on a machine without Docker: podman with
# runc, and `podman system service` for Debian's docker-compose 1.29.
# Source it from bash (deploy/test-compose.sh does); it defines functions and
# variables, nothing runs until you call them.
#
#   gy_podman_install        apt-get install what is missing (podman, runc, ...)
#   gy_podman_env            write containers.conf, export CONTAINERS_CONF
#   gy_podman_service_start  start `podman system service` on a private socket,
#                            export DOCKER_HOST (and COMPOSE_* for compose 1.29)
#   gy_podman_service_stop   stop that service (only the one we started)
#
# Why runc: podman's default runtime here would be crun, which fails on this
# kind of host's cgroups; runc works.  The ulimits are set explicitly because
# runc otherwise hands containers the caller's limits, which may be tiny.
# shellcheck shell=bash

GY_DEPLOY_DIR=${GY_DEPLOY_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
GY_PODMAN_STATE=${GY_PODMAN_STATE:-$GY_DEPLOY_DIR/.podman}
GY_PODMAN_SOCK=$GY_PODMAN_STATE/podman.sock
GY_PODMAN_PID=$GY_PODMAN_STATE/service.pid

gy_podman_say() { printf '%s\n' "$*" >&2; }

gy_podman_install() {
    local pkgs=(podman runc docker-compose debootstrap netavark aardvark-dns
        containernetworking-plugins iptables uidmap ca-certificates curl
        debian-archive-keyring python3)
    local installed missing=() p
    installed=" $(dpkg-query -W -f='${Package}:${db:Status-Status} ' "${pkgs[@]}" 2>/dev/null || true) "
    for p in "${pkgs[@]}"; do
        case "$installed" in *" $p:installed "*) ;; *) missing+=("$p") ;; esac
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" != 0 ]; then
        gy_podman_say "missing packages (need root): apt-get install ${missing[*]}"
        return 1
    fi
    gy_podman_say "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            "${missing[@]}" >&2
}

gy_podman_env() {
    mkdir -p "$GY_PODMAN_STATE"
    local conf=$GY_PODMAN_STATE/containers.conf
    local cgroup_manager=cgroupfs
    # systemd as PID 1 manages cgroups itself; anything else: cgroupfs.
    if [ "$(ps -p 1 -o comm= 2>/dev/null)" = systemd ]; then
        cgroup_manager=systemd
    fi
    # Containers get 65536 open files and 32768 processes, or this shell's
    # hard limit when that is lower: without CAP_SYS_RESOURCE (a sandboxed
    # root has none) runc cannot raise a limit, and podman's own defaults
    # for root (1048576 files) would make every container fail to start.
    local nofile nproc
    nofile=$(ulimit -Hn) nproc=$(ulimit -Hu)
    { [ "$nofile" = unlimited ] || [ "$nofile" -gt 65536 ]; } && nofile=65536
    { [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; } && nproc=32768
    cat >"$conf" <<EOT
# written by deploy/lib/podman.sh
[containers]
default_ulimits = [
  "nofile=$nofile:$nofile",
  "nproc=$nproc:$nproc",
]
log_driver = "k8s-file"

[engine]
runtime = "runc"
cgroup_manager = "$cgroup_manager"
events_logger = "file"

[network]
network_backend = "netavark"
EOT
    export CONTAINERS_CONF=$conf
}

gy_podman_service_running() {
    [ -f "$GY_PODMAN_PID" ] && kill -0 "$(cat "$GY_PODMAN_PID")" 2>/dev/null &&
        [ -S "$GY_PODMAN_SOCK" ]
}

gy_podman_service_start() {
    gy_podman_env
    export DOCKER_HOST=unix://$GY_PODMAN_SOCK
    # compose 1.29 talks the Docker API; podman answers it.  No BuildKit.
    export COMPOSE_DOCKER_CLI_BUILD=0 DOCKER_BUILDKIT=0
    if gy_podman_service_running; then
        return 0
    fi
    rm -f "$GY_PODMAN_SOCK"
    # --time 0: serve until stopped.  setsid: it is ours alone, stopped by PID.
    setsid podman system service --time 0 "unix://$GY_PODMAN_SOCK" \
        </dev/null >>"$GY_PODMAN_STATE/service.log" 2>&1 &
    echo $! >"$GY_PODMAN_PID"
    local i
    for i in $(seq 100); do
        [ -S "$GY_PODMAN_SOCK" ] && curl -fsS --unix-socket "$GY_PODMAN_SOCK" \
            http://d/_ping >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    gy_podman_say "podman system service did not answer on $GY_PODMAN_SOCK"
    tail -n 20 "$GY_PODMAN_STATE/service.log" >&2 || true
    return 1
}

gy_podman_service_stop() {
    local pid i
    [ -f "$GY_PODMAN_PID" ] || return 0
    pid=$(cat "$GY_PODMAN_PID")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    fi
    rm -f "$GY_PODMAN_PID" "$GY_PODMAN_SOCK"
}
