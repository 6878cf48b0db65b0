#!/usr/bin/env bash
# Builds helm from the Go module proxy (no binary download) into a cache outside the repository, once
# per version. Kept apart from go.mod here: helm pins its own Kubernetes libraries.
# Prints the path of the helm binary on its last line.
set -euo pipefail

version="${DRIFTGUARD_HELM_VERSION:-v3.22.0}"
cache_root="${DRIFTGUARD_TESTBED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/driftguard-testbed}"
bin="$cache_root/helm-$version-k8s1.${DRIFTGUARD_HELM_K8S_MINOR:-37}/bin"

if [ -x "$bin/helm" ]; then
  echo "helm $version is cached" >&2
  echo "$bin/helm"
  exit 0
fi
command -v go >/dev/null || { echo "helm.sh: Go is needed to build helm" >&2; exit 2; }
started=$SECONDS
echo "building helm $version from the Go module proxy (cold: a few minutes)" >&2
mkdir -p "$bin.partial"
# helm's release builds stamp the Kubernetes version of its client libraries; without it, `helm template`
# assumes Kubernetes 1.20 and refuses charts that need newer (k8s.io/client-go v0.37 for helm v3.22).
k8s_minor="${DRIFTGUARD_HELM_K8S_MINOR:-37}"
chartutil="helm.sh/helm/v3/pkg/chartutil"
CGO_ENABLED=0 GOBIN="$bin.partial" GOFLAGS=-mod=mod go install -trimpath \
  -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$version -X $chartutil.k8sVersionMajor=1 -X $chartutil.k8sVersionMinor=$k8s_minor" \
  "helm.sh/helm/v3/cmd/helm@$version"
rm -rf "$bin"
mv "$bin.partial" "$bin"
echo "built helm in $((SECONDS - started)) s" >&2
echo "$bin/helm"
