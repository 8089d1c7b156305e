#!/usr/bin/env bash
# Builds, from Debian, the base images the container lab names, for machines
# that cannot pull them (no image registry reachable). Each image is made with
# `debootstrap --variant=minbase bookworm` and `docker import`ed under the
# exact name deploy/Dockerfile's FROM or the compose files use, so that the
# real Dockerfile and compose files are what run:
#
#   node        the Dockerfile's FROM (node:20-bookworm-slim): Debian minbase,
#               this machine's Node (>= 20.19) and npm, a `node` user (uid 1000)
#   prometheus  docker-compose.yml's Prometheus image: Debian's `prometheus`
#   etcd        docker-compose.ha.yml's etcd image: Debian's `etcd-server`
#               and `etcd-client`
#
# Usage: scripts/lab/build-images.sh [node] [prometheus] [etcd]   (default: all)
#
# An image that already exists (pulled, or built by an earlier run) is kept
# as it is, so reruns take a second. `docker rmi <name>` forces a rebuild.
# Needs root (debootstrap), a running Docker engine, and Debian's mirror
# (DEBIAN_MIRROR, default http://deb.debian.org/debian). Installs debootstrap
# with apt-get when it is missing.
#
# These images are stand-ins: the Debian packages' versions, not the tags'
# (Prometheus 2.42, etcd 3.4.23); each carries the label
# org.tollgate.lab.stand-in=debian so that `docker images --filter
# label=org.tollgate.lab.stand-in` lists them.
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
say() { printf '[build-images] %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

node_image="$(sed -n 's/^FROM[[:space:]]\+\([^[:space:]]\+\).*/\1/p' "$repo/deploy/Dockerfile" | head -n1)"
prometheus_image="$(sed -n 's/^[[:space:]]*image:[[:space:]]*\(prom\/prometheus:[^[:space:]]\+\).*/\1/p' "$repo/docker-compose.yml" | head -n1)"
etcd_image="$(sed -n 's/^[[:space:]]*image:[[:space:]]*\([^[:space:]]*etcd:[^[:space:]]\+\).*/\1/p' "$repo/docker-compose.ha.yml" | head -n1)"
[ -n "$node_image" ] && [ -n "$prometheus_image" ] && [ -n "$etcd_image" ] ||
  die "cannot find the image names in deploy/Dockerfile and the compose files"

wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=(node prometheus etcd)
for w in "${wanted[@]}"; do
  case "$w" in node | prometheus | etcd) ;; *) die "unknown image '$w' (valid: node, prometheus, etcd)" ;; esac
done

docker info >/dev/null 2>&1 || die "no Docker engine answers (is dockerd running?)"

work=""
cleanup() { if [ -n "$work" ]; then rm -rf "$work"; fi; }
trap cleanup EXIT

# The root filesystem of one image: Debian bookworm minbase plus packages.
# Downloads are shared between the images of one run (debootstrap's cache).
rootfs() { # <dir> [packages,comma,separated]
  if [ "$(id -u)" != 0 ]; then die "debootstrap needs root"; fi
  if ! command -v debootstrap >/dev/null; then
    say "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
  fi
  local include=()
  if [ -n "${2:-}" ]; then include=(--include="$2"); fi
  mkdir -p "$work/cache"
  debootstrap --variant=minbase --cache-dir="$work/cache" "${include[@]}" bookworm "$1" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -n 20 "$work/debootstrap.log" >&2; die "debootstrap failed"; }
  rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/* "$1"/var/log/*.log
}

# docker import of a root filesystem, with the image config given as --change lines.
import() { # <dir> <name> [--change ...]
  local dir="$1" name="$2"
  shift 2
  tar -C "$dir" -c . | docker import --change 'LABEL org.tollgate.lab.stand-in=debian' "$@" - "$name" >/dev/null
  say "built $name"
}

have() { docker image inspect "$1" >/dev/null 2>&1; }

build_node() {
  local dir="$work/node" npm_dir major minor
  IFS=. read -r major minor _ <<<"$(node -p 'process.versions.node')"
  if [ "$major" -lt 20 ] || { [ "$major" -eq 20 ] && [ "$minor" -lt 19 ]; }; then
    die "this machine's Node is $(node --version); the image needs Node >= 20.19"
  fi
  npm_dir="$(npm root -g)/npm"
  [ -f "$npm_dir/bin/npm-cli.js" ] || die "npm not found at $npm_dir"
  rootfs "$dir"
  install -m 0755 "$(command -v node)" "$dir/usr/local/bin/node"
  mkdir -p "$dir/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$dir/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$dir/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$dir/usr/local/bin/npx"
  # The official image's user: the Dockerfile runs as `node`.
  chroot "$dir" groupadd --gid 1000 node
  chroot "$dir" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  import "$dir" "$node_image" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV NODE_VERSION=$(node -p 'process.versions.node')" \
    --change 'CMD ["node"]'
}

build_prometheus() {
  local dir="$work/prometheus"
  rootfs "$dir" prometheus
  # As the official image: data in /prometheus, owned by nobody, who runs it.
  mkdir -p "$dir/prometheus"
  chroot "$dir" chown nobody:nogroup /prometheus
  import "$dir" "$prometheus_image" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'USER nobody' \
    --change 'WORKDIR /prometheus' \
    --change 'EXPOSE 9090' \
    --change 'VOLUME ["/prometheus"]' \
    --change 'ENTRYPOINT ["/usr/bin/prometheus"]' \
    --change 'CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]'
}

build_etcd() {
  local dir="$work/etcd"
  rootfs "$dir" etcd-server,etcd-client
  import "$dir" "$etcd_image" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV ETCDCTL_API=3' \
    --change 'EXPOSE 2379 2380' \
    --change 'CMD ["etcd"]'
}

for w in "${wanted[@]}"; do
  name_var="${w}_image"
  name="${!name_var}"
  if have "$name"; then
    say "$name is there (cached)"
    continue
  fi
  if [ -z "$work" ]; then work="$(mktemp -d "${TMPDIR:-/tmp}/tollgate-images.XXXXXX")"; fi
  say "building $name from Debian bookworm (debootstrap, about a minute)"
  "build_$w"
done
