#!/usr/bin/env bash
# Builds the render tools driftguard runs, kustomize and helm, from the Go module proxy (no binary
# download) into the test bed's cache outside the repository, once per version. helm comes from
# test/testbed/helm.sh, so the chart tests and the renderer share one build.
# Prints, on its last line, one folder holding both (`kustomize`, `helm`): put it first on PATH.
# The Dockerfile's tools stage builds the same versions with the same flags (test/chart/dockerfile.test.ts).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
kustomize_version="${DRIFTGUARD_KUSTOMIZE_VERSION:-v5.8.2}" # v5.8.3 needs Go 1.27
helm_version="${DRIFTGUARD_HELM_VERSION:-v3.22.0}"
cache_root="${DRIFTGUARD_TESTBED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/driftguard-testbed}"
kustomize_bin="$cache_root/kustomize-$kustomize_version/bin"
tools_bin="$cache_root/render-tools/kustomize-$kustomize_version-helm-$helm_version"

# reports VERSION BINARY ARGS...: a cached binary counts only if it prints the pinned version, so a cache
# left by other flags is rebuilt.
reports() {
  local version="$1"
  shift
  [ -x "$1" ] && [ "$("$@" 2>/dev/null)" = "$version" ]
}

build_kustomize() {
  command -v go >/dev/null || { echo "render-tools.sh: Go is needed to build kustomize" >&2; exit 2; }
  local started=$SECONDS
  echo "building kustomize $kustomize_version from the Go module proxy (cold: about a minute)" >&2
  rm -rf "$kustomize_bin.partial"
  mkdir -p "$kustomize_bin.partial"
  # A `go install module@version` build already prints the module's version; the release builds stamp
  # provenance.version as "kustomize/<version>" (its Semver() strips the prefix), and so does this.
  CGO_ENABLED=0 GOBIN="$kustomize_bin.partial" GOFLAGS=-mod=mod go install -trimpath \
    -ldflags "-s -w -X sigs.k8s.io/kustomize/api/provenance.version=kustomize/$kustomize_version" \
    "sigs.k8s.io/kustomize/kustomize/v5@$kustomize_version"
  rm -rf "$kustomize_bin"
  mv "$kustomize_bin.partial" "$kustomize_bin"
  echo "built kustomize in $((SECONDS - started)) s" >&2
}

if reports "$kustomize_version" "$kustomize_bin/kustomize" version; then
  echo "kustomize $kustomize_version is cached" >&2
else
  build_kustomize
  reports "$kustomize_version" "$kustomize_bin/kustomize" version ||
    { echo "render-tools.sh: the kustomize built does not report $kustomize_version" >&2; exit 1; }
fi

helm_path="$(DRIFTGUARD_HELM_VERSION="$helm_version" bash "$here/../test/testbed/helm.sh" | tail -n 1)"
reports "$helm_version" "$helm_path" version --short ||
  { echo "render-tools.sh: $helm_path does not report $helm_version (remove it to rebuild)" >&2; exit 1; }

# One folder with both names, made aside and moved in place so that a reader never sees half of it.
if [ "$(readlink "$tools_bin/kustomize" 2>/dev/null)" != "$kustomize_bin/kustomize" ] ||
  [ "$(readlink "$tools_bin/helm" 2>/dev/null)" != "$helm_path" ]; then
  rm -rf "$tools_bin.partial"
  mkdir -p "$tools_bin.partial"
  ln -s "$kustomize_bin/kustomize" "$tools_bin.partial/kustomize"
  ln -s "$helm_path" "$tools_bin.partial/helm"
  rm -rf "$tools_bin"
  mv "$tools_bin.partial" "$tools_bin"
fi
echo "$tools_bin"
