# syntax=docker/dockerfile:1
# One image for every gongyi service; the command chooses the service:
#
#   docker run IMAGE intake          gy-intake
#   docker run IMAGE router          gy-router
#   docker run IMAGE workflow        gy-workflow
#   docker run IMAGE keygen DIR NAME gy-keygen (CURVE certificates)
#   docker run IMAGE token ...       gy-token (Ed25519 token keys, tokens)
#   docker run IMAGE healthcheck     GET /healthz of the service in this container
#   docker run IMAGE console-files DIR  copy the web console's files into DIR
#                                    (for the nginx edge: docs/deploy.md)
#
# Configuration: GY_* environment variables (docs/configuration.md); secrets
# come from files named by *_FILE variables, mounted at run time, never
# copied into the image.  See docs/deploy.md.
#
# Build:  scripts/console build && docker build -t gongyi:latest .
# The console's files (console/dist) are built on the host first: Vite needs
# Node.js 20.19 or later, which Debian 12 does not package.  Without them the
# COPY below fails ("console/dist: not found").
# (machines that cannot pull debian:bookworm: deploy/images/base/build.sh)

ARG DEBIAN_IMAGE=debian:bookworm
ARG DEBIAN_SLIM_IMAGE=debian:bookworm-slim

# ---- build -------------------------------------------------------------
FROM ${DEBIAN_IMAGE} AS build
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends \
        build-essential cmake pkg-config \
        libuv1-dev libzmq3-dev libczmq-dev libprotobuf-c-dev protobuf-c-compiler protobuf-compiler \
        libpq-dev libhiredis-dev libsodium-dev libhttp-parser-dev libjansson-dev libcmocka-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . /src
# Only the programs that go into the image are built (no tests: CI runs them).
# The runtime image gets exactly the packages whose libraries they load.
# Every gy-* program the tree defines (but the gy-test-* tools) is installed;
# a program without an install() rule yet is copied from the build tree.
RUN set -eu; \
    cmake -S . -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr/local \
        -DGY_WERROR=OFF >/tmp/configure.log || { cat /tmp/configure.log; exit 1; }; \
    targets=$(cmake --build /build --target help | sed -n 's/^\.\.\. \(gy-[a-z0-9-]*\).*/\1/p' \
        | grep -v '^gy-test-'); \
    echo "building: $targets"; \
    cmake --build /build -j"$(nproc)" --target $targets; \
    DESTDIR=/out cmake --install /build --strip; \
    for t in $targets; do \
        if [ ! -e "/out/usr/local/bin/$t" ]; then \
            f=$(find /build -type f -name "$t" -perm -u+x | head -n 1); \
            install -D -s -m 755 "$f" "/out/usr/local/bin/$t"; \
        fi; \
    done; \
    mkdir -p /out/usr/local/share/gongyi/reference; \
    if [ -z "$(ls /out/usr/local/share/gongyi/reference)" ]; then \
        cp reference/*.csv /out/usr/local/share/gongyi/reference/; \
        cp -r reference/document_bodies /out/usr/local/share/gongyi/reference/; \
    fi; \
    install -D -m 755 deploy/image/gongyi /out/usr/local/bin/gongyi; \
    for lib in $(ldd /out/usr/local/bin/gy-* | awk '/=> \// { print $3 }' | sort -u); do \
        real=$(realpath "$lib"); \
        for p in "$lib" "$real" "/usr$lib" "/usr$real" "${lib#/usr}" "${real#/usr}"; do \
            dpkg -S "$p" 2>/dev/null && break; \
        done | head -n 1 | cut -d: -f1 | grep . || { echo "no package owns $lib"; exit 1; }; \
    done | sort -u | grep -v -E '^(libc6|libgcc-s1)$' >/out/runtime-packages; \
    echo "runtime packages:"; cat /out/runtime-packages; \
    ls -l /out/usr/local/bin /out/usr/local/share/gongyi/reference

# ---- run ---------------------------------------------------------------
FROM ${DEBIAN_SLIM_IMAGE}
ENV DEBIAN_FRONTEND=noninteractive
COPY --from=build /out/runtime-packages /tmp/runtime-packages
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends $(cat /tmp/runtime-packages) \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb /tmp/runtime-packages \
 && groupadd --system --gid 10001 gongyi \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin gongyi
COPY --from=build /out/usr/local/ /usr/local/
# The web console: static files, served by the edge (console-files copies
# them into the edge's volume).
COPY console/dist/ /usr/local/share/gongyi/console/

# Container defaults (each can be overridden; the entrypoint adds the
# per-service ones such as the bus endpoints on tcp://*:PORT).
ENV GY_REFDATA_DIR=/usr/local/share/gongyi/reference \
    GY_HTTP_HOST=0.0.0.0 \
    LANG=C.UTF-8

USER 10001:10001
WORKDIR /
# intake: HTTP 8081, bus 7101-7103; router: HTTP 8091, bus 7201-7202;
# workflow: HTTP 8101, bus 7301-7302
EXPOSE 8081 7101 7102 7103 8091 7201 7202 8101 7301 7302
ENTRYPOINT ["/usr/local/bin/gongyi"]
CMD ["help"]
