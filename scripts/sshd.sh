#!/usr/bin/env bash
# An OpenSSH server for the SSH transport tests, without installing one: when no sshd is on PATH (or in
# /usr/sbin), Debian's openssh-server package is downloaded with `apt-get download` (no install, no
# maintainer scripts) into the test bed's cache outside the repository, once, and unpacked
# with `dpkg-deb -x`. Shared libraries the unpacked sshd needs and the machine lacks (libwrap0 on a machine
# without openssh-server) are fetched the same way and put beside it.
# Prints, on its last line, a folder holding `sshd`: the tests run it by absolute path (sshd re-executes
# itself and refuses a relative one). The cached `sshd` is a wrapper that points the loader at the
# unpacked libraries, then runs the real binary by its absolute path.
set -euo pipefail

cache_root="${DRIFTGUARD_TESTBED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/driftguard-testbed}"

# An sshd of the machine's own is used as it is.
for found in "$(command -v sshd 2>/dev/null || true)" /usr/sbin/sshd; do
  if [ -n "$found" ] && [ -x "$found" ]; then
    echo "sshd is installed: $found" >&2
    dirname "$found"
    exit 0
  fi
done

# A cached one is used as it is: asking apt for the current version takes a second or more on every test
# run, and any 9.x sshd serves the tests (remove the cache folder to fetch Debian's current one).
for stamp in "$cache_root"/sshd-*/stamp; do
  if [ -f "$stamp" ] && [ -x "$(dirname "$stamp")/bin/sshd" ]; then
    echo "sshd $(cat "$stamp") is cached" >&2
    echo "$(dirname "$stamp")/bin"
    exit 0
  fi
done

for tool in apt-get apt-cache dpkg-deb ldd; do
  command -v "$tool" >/dev/null ||
    { echo "sshd.sh: no sshd here, and $tool is needed to fetch Debian's openssh-server" >&2; exit 2; }
done

candidate() { apt-cache show --no-all-versions "$1" 2>/dev/null | sed -n 's/^Version: //p' | head -n 1; }
version="$(candidate openssh-server)"
if [ -z "$version" ]; then
  # A fresh machine may have no package lists yet; reading them changes nothing installed.
  echo "sshd.sh: no package list names openssh-server; running apt-get update" >&2
  apt-get update -qq >&2
  version="$(candidate openssh-server)"
fi
[ -n "$version" ] || { echo "sshd.sh: apt knows no openssh-server package" >&2; exit 2; }

# The epoch ("1:") would put a colon, PATH's separator, into the folder's name.
folder="$cache_root/sshd-${version#*:}"
bin="$folder/bin"
echo "fetching Debian's openssh-server $version (apt-get download, unpacked, not installed)" >&2
partial="$folder.partial"
rm -rf "$partial"
mkdir -p "$partial/debs" "$partial/root" "$partial/bin"
# download PACKAGE[=VERSION]: into debs/. apt's download user may not reach a folder under root's home,
# and the download is then done as root, which is what we are anyway: say so instead of warning.
download() { (cd "$partial/debs" && apt-get download -q -o APT::Sandbox::User=root "$1" >&2); }
download "openssh-server=$version"
dpkg-deb -x "$partial"/debs/openssh-server_*.deb "$partial/root"

real="$partial/root/usr/sbin/sshd"
# The folders of the unpacked shared libraries (their multiarch names differ per machine), colon-joined.
lib_dirs() { find "$1/root" -name 'lib*.so*' -printf '%h\n' | sort -u | paste -sd: -; }
missing() { LD_LIBRARY_PATH="$(lib_dirs "$partial")" ldd "$real" | awk '/not found/ {print $1}'; }
# The libraries openssh-server links that a machine with openssh-client alone may lack.
package_of() {
  case "$1" in
    libwrap.so.*) echo libwrap0 ;;
    *) return 1 ;;
  esac
}
for lib in $(missing); do
  package="$(package_of "$lib")" ||
    { echo "sshd.sh: the unpacked sshd needs $lib, and no package for it is known here" >&2; exit 1; }
  download "$package"
  dpkg-deb -x "$partial"/debs/"${package}"_*.deb "$partial/root"
done
left="$(missing)"
[ -z "$left" ] || { echo "sshd.sh: the unpacked sshd still lacks: $left" >&2; exit 1; }
rm -rf "$partial/debs"

# The wrapper names the final folder, not the partial one: write it for where it will be moved.
final_libs="$(lib_dirs "$partial")"
final_libs="${final_libs//$partial/$folder}"
cat >"$partial/bin/sshd" <<EOF
#!/bin/sh
# Debian's sshd $version, unpacked by scripts/sshd.sh; the libraries it needs are beside it.
LD_LIBRARY_PATH="$final_libs\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "$folder/root/usr/sbin/sshd" "\$@"
EOF
chmod 0755 "$partial/bin/sshd"
echo "$version" >"$partial/stamp"
rm -rf "$folder"
mv "$partial" "$folder"
# `sshd -V` prints its version and exits (on stderr, with status 1 on some versions): it must at least run.
"$bin/sshd" -V 2>&1 | grep -q OpenSSH || { echo "sshd.sh: $bin/sshd does not run" >&2; exit 1; }
echo "unpacked sshd $version into $folder" >&2
echo "$bin"
