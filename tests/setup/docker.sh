#!/usr/bin/env bash
# Set up a real Docker engine for the image tests (tests/images, benchmarks/image_build.py).
#
#   sudo bash tests/setup/docker.sh        # as root; idempotent; ~2 min on a fresh Debian 12 box
#
# 1. installs Debian's docker.io (engine 20.10) and debootstrap;
# 2. starts dockerd if no engine answers;
# 3. builds the local base image $SUMMLAUNCH_BASE_IMAGE (default summlaunch-base:bookworm):
#    a minimal Debian 12 with python3 3.11, venv, pip and ca-certificates, made with
#    debootstrap + `docker import`, because no registry is reachable from CI.
#    The root tarball is cached under ~/.cache/summlaunch (used when present, never required);
# 4. installs Debian's docker-registry (distribution v2) and starts a plain-HTTP registry on
#    127.0.0.1:5000 if none answers (dockerd treats 127.0.0.0/8 registries as insecure, so
#    `summlaunch build --registry 127.0.0.1:5000 --push` reaches it without TLS).
set -euo pipefail

BASE_IMAGE="${SUMMLAUNCH_BASE_IMAGE:-summlaunch-base:bookworm}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
CACHE_DIR="${HOME}/.cache/summlaunch"
TARBALL="${CACHE_DIR}/base-bookworm-rootfs.tar"

log() { echo "[docker.sh] $*"; }

if [ "$(id -u)" != 0 ]; then
    echo "tests/setup/docker.sh must run as root (it installs packages and starts dockerd)" >&2
    exit 2
fi

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
command -v curl >/dev/null 2>&1 || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
    log "starting dockerd"
    mkdir -p /var/log
    # Its own session, so nothing that signals the test run's process group reaches it.
    setsid nohup dockerd >/var/log/summlaunch-dockerd.log 2>&1 </dev/null &
    for _ in $(seq 1 60); do
        docker info >/dev/null 2>&1 && break
        sleep 1
    done
    if ! docker info >/dev/null 2>&1; then
        echo "dockerd did not start; see /var/log/summlaunch-dockerd.log:" >&2
        tail -20 /var/log/summlaunch-dockerd.log >&2
        exit 1
    fi
fi
log "engine: $(docker version --format '{{.Server.Version}}')"

# Keep the engine's disk bounded across reruns (a torch image is ~6 GB): the newest summtrain
# image built on the test base stays as the layer cache of the next build; older ones and
# dangling layers (failed builds) go.
old=$(docker images --filter "label=org.opencontainers.image.base.name=$BASE_IMAGE" \
    --format '{{.ID}}' | awk '!seen[$0]++' | tail -n +2)
if [ -n "$old" ]; then
    log "removing $(echo "$old" | wc -l) older test image(s)"
    # shellcheck disable=SC2086
    docker rmi -f $old >/dev/null 2>&1 || true
fi
docker image prune -f >/dev/null

REGISTRY_DIR=/var/lib/summlaunch-registry
registry_up() { curl -fsS -m 2 -o /dev/null http://127.0.0.1:5000/v2/ 2>/dev/null; }
if ! registry_up; then
    log "starting a registry on 127.0.0.1:5000 (storage $REGISTRY_DIR, emptied: it holds test pushes only)"
    rm -rf "$REGISTRY_DIR/data"
    mkdir -p "$REGISTRY_DIR/data"
    printf '%s\n' 'version: 0.1' 'log: {level: warn}' \
        "storage: {filesystem: {rootdirectory: $REGISTRY_DIR/data}, delete: {enabled: true}}" \
        'http: {addr: "127.0.0.1:5000"}' >"$REGISTRY_DIR/config.yml"
    setsid nohup docker-registry serve "$REGISTRY_DIR/config.yml" \
        >/var/log/summlaunch-registry.log 2>&1 </dev/null &
    for _ in $(seq 1 30); do
        registry_up && break
        sleep 0.5
    done
    if ! registry_up; then
        echo "the registry did not start; see /var/log/summlaunch-registry.log:" >&2
        tail -20 /var/log/summlaunch-registry.log >&2
        exit 1
    fi
fi
log "registry: http://127.0.0.1:5000"

if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    log "base image $BASE_IMAGE present"
    exit 0
fi

mkdir -p "$CACHE_DIR"
if [ ! -s "$TARBALL" ]; then
    root="$(mktemp -d /tmp/summlaunch-rootfs.XXXXXX)"
    trap 'rm -rf "$root"' EXIT
    log "debootstrap bookworm into $root (about a minute)"
    debootstrap --variant=minbase \
        --include=python3,python3-venv,python3-pip,ca-certificates \
        bookworm "$root" "$MIRROR" >/tmp/summlaunch-debootstrap.log 2>&1 || {
        echo "debootstrap failed; see /tmp/summlaunch-debootstrap.log:" >&2
        tail -20 /tmp/summlaunch-debootstrap.log >&2
        exit 1
    }
    # Keep the image small: no apt lists or package caches.
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" -cf "$TARBALL.tmp" . && mv "$TARBALL.tmp" "$TARBALL"
fi
log "importing $BASE_IMAGE"
docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' \
    "$TARBALL" "$BASE_IMAGE" >/dev/null
log "base image $BASE_IMAGE ready"
