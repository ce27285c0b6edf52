#!/usr/bin/env bash
# Makes the secrets of one gongyi site, once: files that docker-compose.yml
# mounts (and that deploy/k8s/secrets.example.yaml shows how to load).
#
#   deploy/gen-secrets.sh [DIR]      default DIR: deploy/secrets (git-ignored)
#
# Writes, and never overwrites (a second run only fills in what is missing):
#   pg_password                  the database password (random, 40 hex)
#   seal.key                     64 hex: intake seals reporters' identities with it;
#                                losing it makes the stored identities unreadable
#   router-seal.key              64 hex: the router seals volunteers' personal data
#   token.secret, token.public   Ed25519 pair for bearer tokens (gy-token keygen)
#   curve/NAME, curve/NAME_secret  CURVE certificates (gy-keygen) for intake,
#                                router and workflow (GY_CERTS="intake router
#                                workflow" to change)
#   curve-clients/               public certificates of the clients every bus
#                                server of the site lets in (GY_CURVE_CLIENTS:
#                                the router, which follows intake, intake,
#                                which follows the router and the workflow,
#                                and the workflow, which follows the router)
#   curve-public/                public certificates of the site's servers, for
#                                clients (the router's GY_SOURCES, other sites)
#
# gy-keygen and gy-token come from, in order: GY_BIN_DIR, a build tree of
# this checkout (build/common), the PATH, or the gongyi image (GY_IMAGE,
# default gongyi:latest) run with docker, or podman when no Docker engine
# answers (GY_ENGINE names one; GY_SECRETS_USE_IMAGE=1:
# the image only).  Nothing leaves DIR.
#
# Permissions: DIR is 0700 (only its owner gets in); the files in it are
# world-readable so that the containers' own users (gongyi 10001, postgres)
# can read the single files mounted into them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/deploy/secrets}
case "$dir" in -h | --help)
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
esac
certs=${GY_CERTS:-intake router workflow}
clients=${GY_CURVE_CLIENTS:-router intake workflow}

mkdir -p "$dir"
chmod 700 "$dir"
dir=$(cd "$dir" && pwd)
mkdir -p "$dir/curve" "$dir/curve-clients" "$dir/curve-public"

# tool NAME ARGS...: runs gy-NAME from wherever it is found; paths in ARGS
# are under $dir.
tool() {
    local name=$1 bin
    shift
    for bin in ${GY_BIN_DIR:+"$GY_BIN_DIR/gy-$name"} "$root/build/common/gy-$name" \
        "$(command -v "gy-$name" || true)"; do
        if [ -z "${GY_SECRETS_USE_IMAGE:-}" ] && [ -n "$bin" ] && [ -x "$bin" ]; then
            "$bin" "$@"
            return
        fi
    done
    local engine=${GY_ENGINE:-}
    if [ -z "$engine" ]; then
        if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
            engine=docker
        else
            engine=$(command -v podman || true)
        fi
    fi
    [ -n "$engine" ] || {
        echo "gen-secrets: gy-$name not found (build the tree, set GY_BIN_DIR, or install docker/podman and build the image)" >&2
        exit 1
    }
    # The same absolute path inside, so ARGS need no rewriting.
    "$engine" run --rm --network none --user "$(id -u):$(id -g)" \
        -v "$dir:$dir" "${GY_IMAGE:-gongyi:latest}" "$name" "$@"
}

hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

made=()
if [ ! -s "$dir/pg_password" ]; then
    (umask 077; hex 20 >"$dir/pg_password"; echo >>"$dir/pg_password")
    made+=(pg_password)
fi
for key in seal.key router-seal.key; do
    if [ ! -s "$dir/$key" ]; then
        (umask 077; hex 32 >"$dir/$key"; echo >>"$dir/$key")
        made+=("$key")
    fi
done
if [ ! -e "$dir/token.secret" ] && [ ! -e "$dir/token.public" ]; then
    tool token keygen "$dir/token.secret" "$dir/token.public" >/dev/null
    made+=(token.secret token.public)
elif [ ! -e "$dir/token.secret" ] || [ ! -e "$dir/token.public" ]; then
    echo "gen-secrets: only one of token.secret and token.public exists in $dir; remove it" >&2
    exit 1
fi
for name in $certs; do
    if [ ! -e "$dir/curve/$name" ] && [ ! -e "$dir/curve/${name}_secret" ]; then
        tool keygen "$dir/curve" "$name" >/dev/null
        made+=("curve/$name")
    fi
    cp -f "$dir/curve/$name" "$dir/curve-public/$name"
done
for name in $clients; do
    cp -f "$dir/curve/$name" "$dir/curve-clients/$name"
done

# Readable by the containers' users; DIR itself stays closed (0700).
chmod 444 "$dir"/pg_password "$dir"/seal.key "$dir"/router-seal.key "$dir"/token.public "$dir"/token.secret \
    "$dir"/curve/* "$dir"/curve-clients/* "$dir"/curve-public/*
chmod 755 "$dir/curve" "$dir/curve-clients" "$dir/curve-public"

if [ ${#made[@]} -gt 0 ]; then
    echo "gen-secrets: made ${made[*]} in $dir" >&2
else
    echo "gen-secrets: $dir already complete" >&2
fi
