#!/usr/bin/env bash
# Builds what a kubelet joined to the test bed needs, into a cache outside the repository keyed by the
# versions (like test/testbed/build.sh), and prints that cache's bin directory on its last line:
#   - kubelet and kube-scheduler from the Kubernetes module test/testbed/go.mod pins, built in a COPY of
#     that go.mod (its go.sum lacks the kubelet's own dependencies, so -mod=readonly refuses them);
#   - a STAND-IN for the Kubernetes pause image (the registry's cannot be pulled here: the network reaches
#     package registries only): a static Go program that waits for SIGTERM/SIGINT as pause does, in an
#     image of its own made from scratch with buildah, saved as a docker-archive for containerd to import;
#   - Debian's containerd, runc and CNI plugins (bridge, host-local, loopback; the plugins come with the
#     podman that scripts/image.sh installs, so they are not built from the Go module proxy), checked and
#     installed with DRIFTGUARD_KUBELET_INSTALL=1.
# Builds run at low priority, two jobs at most (DRIFTGUARD_KUBELET_JOBS): the cores are shared.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
testbed="$here/test/testbed"
k8s_version="$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" { print $3 }' "$testbed/go.mod")"
[ -n "$k8s_version" ] || { echo "kubelet.sh: no k8s.io/kubernetes requirement in test/testbed/go.mod" >&2; exit 2; }
key="$(cat "$testbed/go.mod" "$testbed/go.sum" "$0" | sha256sum | cut -c1-16)"
cache_root="${DRIFTGUARD_KUBELET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/driftguard-kubelet}"
out="$cache_root/$k8s_version-$key"
bin="$out/bin"
jobs="${DRIFTGUARD_KUBELET_JOBS:-2}"

missing=()
for tool in containerd ctr runc buildah; do command -v "$tool" >/dev/null || missing+=("$tool"); done
for plugin in bridge host-local loopback; do [ -x "/usr/lib/cni/$plugin" ] || missing+=("cni-$plugin"); done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "${DRIFTGUARD_KUBELET_INSTALL:-0}" != 1 ]; then
    echo "kubelet.sh: missing ${missing[*]} (apt-get install -y containerd runc containernetworking-plugins buildah, or DRIFTGUARD_KUBELET_INSTALL=1)" >&2
    exit 2
  fi
  echo "kubelet.sh: installing Debian's containerd runc containernetworking-plugins buildah" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq containerd runc containernetworking-plugins buildah >&2
fi

if [ -f "$bin/.complete" ]; then
  echo "kubelet.sh: kubelet, kube-scheduler and the pause stand-in for $k8s_version are cached" >&2
  echo "$bin"
  exit 0
fi
command -v go >/dev/null || { echo "kubelet.sh: Go is needed to build the kubelet" >&2; exit 2; }

major="${k8s_version#v}"; major="${major%%.*}"
minor="${k8s_version#v*.}"; minor="${minor%%.*}"
version_pkg="k8s.io/component-base/version"
ldflags="-s -w -X $version_pkg.gitVersion=$k8s_version -X $version_pkg.gitMajor=$major -X $version_pkg.gitMinor=$minor -X $version_pkg.gitTreeState=clean"

rm -rf "$out.partial"
mkdir -p "$out.partial/bin" "$out.partial/mod" "$out.partial/pause"
cp "$testbed/go.mod" "$testbed/go.sum" "$out.partial/mod/"
started=$SECONDS
(
  cd "$out.partial/mod"
  export CGO_ENABLED=0
  echo "kubelet.sh: go get the kubelet's and kube-scheduler's packages of k8s.io/kubernetes $k8s_version" >&2
  nice -n 19 go get "k8s.io/kubernetes/cmd/kubelet@$k8s_version" "k8s.io/kubernetes/cmd/kube-scheduler@$k8s_version" >&2
  echo "kubelet.sh: building kubelet and kube-scheduler (-p $jobs)" >&2
  nice -n 19 go build -p "$jobs" -trimpath -ldflags "$ldflags" -o "$out.partial/bin/" \
    k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-scheduler
)

# The pause stand-in: what the sandbox container does is hold the pod's namespaces and exit on a signal.
cat > "$out.partial/pause/main.go" <<'GO'
// STAND-IN for the Kubernetes pause image: holds the pod sandbox's namespaces until SIGTERM or SIGINT.
// It does not reap orphans as pause does; that matters only to pods sharing one PID namespace.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	<-signals
}
GO
printf 'module driftguard.invalid/pause\n\ngo 1.22\n' > "$out.partial/pause/go.mod"
(cd "$out.partial/pause" && CGO_ENABLED=0 GOFLAGS= nice -n 19 go build -trimpath -ldflags "-s -w" -o pause .)
pause_image="localhost/standin/pause:3.10"
ctr_id="$(buildah from scratch)"
buildah copy --quiet "$ctr_id" "$out.partial/pause/pause" /pause >/dev/null
buildah config --entrypoint '["/pause"]' --user 65535:65535 \
  --label "org.opencontainers.image.description=STAND-IN for the Kubernetes pause image: a static Go program that waits for a signal" "$ctr_id"
buildah commit --quiet --rm "$ctr_id" "$pause_image" >/dev/null
buildah push --quiet "$pause_image" "docker-archive:$out.partial/bin/pause.tar:$pause_image" >/dev/null
echo "$pause_image" > "$out.partial/bin/pause-image"
rm -rf "$out.partial/mod" "$out.partial/pause"
touch "$out.partial/bin/.complete"
rm -rf "$out"
mv "$out.partial" "$out"
echo "kubelet.sh: built in $((SECONDS - started)) s" >&2
echo "$bin"
