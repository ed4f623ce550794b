#!/usr/bin/env bash
# Installs what Fingerprint needs to build and run on Debian/Ubuntu, and makes
# OpenBLAS the libblas.so.3 in use (the reference BLAS is 20-40x slower).
# Idempotent: prints one line and does nothing else when all is in place.
set -euo pipefail

packages=(libblas-dev liblapacke-dev libopenblas0-pthread pkg-config zlib1g-dev libzstd-dev zstd libsqlite3-dev sqlite3 time)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else
    echo "setup: need root for: $*" >&2
    echo "setup: run as root: apt-get install -y ${missing[*]:-} && update-alternatives --set ... (see Scripts/setup.sh)" >&2
    exit 1
  fi
}

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi

triplet=$(gcc -print-multiarch 2>/dev/null || echo "$(uname -m)-linux-gnu")
openblas="/usr/lib/$triplet/openblas-pthread"
for lib in libblas.so.3 liblapack.so.3; do
  current=$(readlink -f "/usr/lib/$triplet/$lib" || true)
  if [ -e "$openblas/$lib" ] && [ "$current" != "$(readlink -f "$openblas/$lib")" ]; then
    as_root update-alternatives --quiet --set "$lib-$triplet" "$openblas/$lib"
  fi
done
echo "setup: ok — libblas.so.3 is $(readlink -f "/usr/lib/$triplet/libblas.so.3")" >&2
