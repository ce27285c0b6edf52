#!/usr/bin/env bash
# Builds every image a local site needs, with podman, from Debian's packages
# only (for machines that cannot pull from a registry):
#
#   debian:bookworm, debian:bookworm-slim   deploy/images/base/build.sh
#   gongyi-postgres:15                      deploy/images/postgres (stands in for postgres:15)
#   gongyi-redis:7                          deploy/images/redis    (for redis:7)
#   gongyi-nginx:1.22                       deploy/images/nginx    (for nginx)
#   gongyi:latest                           the Dockerfile at the top of the tree
#
#   deploy/images/build.sh [--only-missing]
#   GY_BUILD_CONTEXT=DIR deploy/images/build.sh   gongyi:latest from another tree
#
# --only-missing skips the support images (postgres, redis, nginx) that
# exist already; gongyi:latest is always rebuilt (layer cache makes an
# unchanged tree quick).  Builds use the host's network (the site's bridge
# network has no route out here).  Sourcing deploy/lib/podman.sh's setup.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=deploy/lib/podman.sh
. "$root/deploy/lib/podman.sh"
only_missing=
case "${1:-}" in
'') ;;
--only-missing) only_missing=1 ;;
-h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
*) echo "build.sh: unknown argument \"$1\"" >&2; exit 2 ;;
esac

gy_podman_env
"$here/base/build.sh"

build() { # TAG CONTEXT [DOCKERFILE]
    local tag=$1 ctx=$2 file=${3:-$2/Dockerfile} t0=$SECONDS
    if [ -n "$only_missing" ] && [ "$tag" != gongyi:latest ] && podman image exists "$tag"; then
        echo "images: $tag exists" >&2
        return 0
    fi
    echo "images: building $tag" >&2
    podman build --network host -q -t "$tag" -f "$file" "$ctx" >"$GY_PODMAN_STATE/build-${tag%%:*}.log" 2>&1 || {
        tail -n 40 "$GY_PODMAN_STATE/build-${tag%%:*}.log" >&2
        echo "images: building $tag failed (log: $GY_PODMAN_STATE/build-${tag%%:*}.log)" >&2
        return 1
    }
    echo "images: $tag built in $((SECONDS - t0))s" >&2
}
mkdir -p "$GY_PODMAN_STATE"
build gongyi-postgres:15 "$here/postgres"
build gongyi-redis:7 "$here/redis"
build gongyi-nginx:1.22 "$here/nginx"
# GY_BUILD_CONTEXT: another source tree to build gongyi:latest from (the
# test's --ref exports a commit there); default: this checkout as it is.
ctx=${GY_BUILD_CONTEXT:-$root}
# The image carries the console's built files (the Dockerfile explains why
# they are built here, not in the image's build stage).
"$ctx/scripts/console" build >"$GY_PODMAN_STATE/build-console.log" 2>&1 || {
    tail -n 40 "$GY_PODMAN_STATE/build-console.log" >&2
    echo "images: the console did not build in $ctx (log: $GY_PODMAN_STATE/build-console.log)" >&2
    exit 1
}
old=$(podman image inspect -f '{{.Id}}' gongyi:latest 2>/dev/null || true)
build gongyi:latest "$ctx" "$ctx/Dockerfile"
# The image this one replaced (not `podman image prune`: that would also
# drop the build stage's cached layers, and the next build would start over).
new=$(podman image inspect -f '{{.Id}}' gongyi:latest)
if [ -n "$old" ] && [ "$old" != "$new" ]; then
    podman rmi "$old" >/dev/null 2>&1 || true
fi
# Earlier builds' build stages (untagged, ~640 MB each): all but the newest,
# which holds the cache for the next build of an unchanged tree.
podman images --filter dangling=true --sort created --format '{{.ID}}' | tail -n +2 |
    xargs -r podman rmi >/dev/null 2>&1 || true
