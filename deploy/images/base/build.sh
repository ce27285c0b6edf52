#!/usr/bin/env bash
# Builds the Debian base images locally, for machines that cannot pull from
# a registry: debootstrap --variant=minbase bookworm, imported into podman as
# both `debian:bookworm` and `debian:bookworm-slim` (the names the Dockerfile
# and deploy/images/*/Dockerfile use).  A connected machine does not need
# this: it pulls the official images under the same names.
#
#   deploy/images/base/build.sh            build unless both tags exist
#   deploy/images/base/build.sh --force    rebuild (reuses the cached rootfs)
#
# The rootfs tarball is cached in deploy/.cache/ (git-ignored), so a rerun
# takes seconds; delete it to start from scratch.  Needs root, debootstrap
# and podman (deploy/lib/podman.sh installs them).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
deploy=$(cd "$here/../.." && pwd)
# shellcheck source=deploy/lib/podman.sh
. "$deploy/lib/podman.sh"

force=
case "${1:-}" in
'') ;;
--force) force=1 ;;
-h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
*) echo "build.sh: unknown argument \"$1\"" >&2; exit 2 ;;
esac

gy_podman_env
mirror=${GY_DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache=$deploy/.cache
tarball=$cache/bookworm-minbase.tar

if [ -z "$force" ] && podman image exists debian:bookworm && podman image exists debian:bookworm-slim; then
    echo "base: debian:bookworm and debian:bookworm-slim exist (--force rebuilds)" >&2
    exit 0
fi

if [ ! -s "$tarball" ]; then
    mkdir -p "$cache"
    root=$(mktemp -d "$cache/rootfs.XXXXXX")
    trap 'rm -rf "$root"' EXIT
    echo "base: debootstrap --variant=minbase bookworm (a few minutes)" >&2
    debootstrap --variant=minbase bookworm "$root" "$mirror" >"$cache/debootstrap.log" 2>&1 || {
        tail -n 30 "$cache/debootstrap.log" >&2
        echo "base: debootstrap failed (log: $cache/debootstrap.log)" >&2
        exit 1
    }
    # What the official images do to stay small and quiet: no recommends, no
    # docs or caches kept by apt, no services started by package scripts.
    cat >"$root/etc/apt/apt.conf.d/90gongyi-container" <<'EOT'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Dpkg::Use-Pty "0";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
EOT
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod 755 "$root/usr/sbin/policy-rc.d"
    # The build host's apt settings are not part of the image.
    rm -rf "$root/var/lib/apt/lists/"* "$root/var/cache/apt/"*.bin "$root/var/cache/apt/archives/"*.deb
    : >"$root/etc/resolv.conf"
    : >"$root/etc/hostname"
    tar -C "$root" --numeric-owner -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    rm -rf "$root"
    trap - EXIT
fi

echo "base: importing $tarball as debian:bookworm and debian:bookworm-slim" >&2
podman import --change 'CMD ["bash"]' --change 'ENV LANG=C.UTF-8' \
    "$tarball" debian:bookworm >/dev/null
podman tag debian:bookworm debian:bookworm-slim
# The official names, so a FROM debian:bookworm finds them without a pull.
podman tag debian:bookworm docker.io/library/debian:bookworm
podman tag debian:bookworm docker.io/library/debian:bookworm-slim
echo "base: done" >&2
