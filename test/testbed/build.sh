#!/usr/bin/env bash
# Builds the test bed's control plane from the Kubernetes Go modules pinned in go.mod:
# kube-apiserver, kube-controller-manager, kubectl and etcd (the version Kubernetes pins).
# The binaries go to a cache outside the repository, keyed by a hash of go.mod, go.sum and this
# script, so a warm start costs nothing; a cold build takes minutes (see the README's figures).
# Prints the directory that holds the binaries on its last line.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
k8s_version="$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" { print $3 }' "$here/go.mod")"
[ -n "$k8s_version" ] || { echo "build.sh: no k8s.io/kubernetes requirement in $here/go.mod" >&2; exit 2; }
key="$(cat "$here/go.mod" "$here/go.sum" "$0" | sha256sum | cut -c1-16)"
cache_root="${DRIFTGUARD_TESTBED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/driftguard-testbed}"
bin="$cache_root/$k8s_version-$key/bin"

if [ -f "$bin/.complete" ]; then
  echo "test bed binaries for $k8s_version are cached" >&2
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { echo "build.sh: Go is needed to build the test bed (go.mod says which version)" >&2; exit 2; }

major="${k8s_version#v}"; major="${major%%.*}"
minor="${k8s_version#v*.}"; minor="${minor%%.*}"
version_pkg="k8s.io/component-base/version"
# Without these, the binaries report v0.0.0-master and kubectl's skew checks misread them.
ldflags="-s -w -X $version_pkg.gitVersion=$k8s_version -X $version_pkg.gitMajor=$major -X $version_pkg.gitMinor=$minor -X $version_pkg.gitTreeState=clean"

mkdir -p "$bin.partial"
cd "$here"
export CGO_ENABLED=0 GOFLAGS=-mod=readonly
started=$SECONDS
echo "building kube-apiserver, kube-controller-manager and kubectl $k8s_version (cold: several minutes)" >&2
go build -p "${DRIFTGUARD_TESTBED_JOBS:-2}" -trimpath -ldflags "$ldflags" -o "$bin.partial/" \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kubectl
echo "building etcd $(go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)" >&2
go build -p "${DRIFTGUARD_TESTBED_JOBS:-2}" -trimpath -ldflags "-s -w" -o "$bin.partial/etcd" go.etcd.io/etcd/server/v3
touch "$bin.partial/.complete"
rm -rf "$bin"
mkdir -p "$(dirname "$bin")"
mv "$bin.partial" "$bin"
echo "built the test bed in $((SECONDS - started)) s" >&2
echo "$bin"
