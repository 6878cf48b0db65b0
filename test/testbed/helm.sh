#!/usr/bin/env bash
# Builds helm from the Go module proxy (no binary download) into a cache outside the repository, once
# per version. Kept apart from go.mod here: helm pins its own Kubernetes libraries.
# Prints the path of the helm binary on its last line.
set -euo pipefail

version="${DRIFTGUARD_HELM_VERSION:-v3.22.0}"
cache_root="${DRIFTGUARD_TESTBED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/driftguard-testbed}"
bin="$cache_root/helm-$version/bin"

if [ -x "$bin/helm" ]; then
  echo "helm $version is cached" >&2
  echo "$bin/helm"
  exit 0
fi
command -v go >/dev/null || { echo "helm.sh: Go is needed to build helm" >&2; exit 2; }
started=$SECONDS
echo "building helm $version from the Go module proxy (cold: a few minutes)" >&2
mkdir -p "$bin.partial"
CGO_ENABLED=0 GOBIN="$bin.partial" GOFLAGS=-mod=mod go install -trimpath \
  -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$version" "helm.sh/helm/v3/cmd/helm@$version"
rm -rf "$bin"
mv "$bin.partial" "$bin"
echo "built helm in $((SECONDS - started)) s" >&2
echo "$bin/helm"
