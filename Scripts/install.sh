#!/usr/bin/env bash
# Builds a release `fingerprint` and installs it with its man page and bash,
# zsh and fish completions.
#
#   Scripts/install.sh [PREFIX]      PREFIX defaults to $PREFIX or /usr/local
#
# The Swift standard library is linked statically (--static-swift-stdlib), so
# the binary runs without a Swift toolchain; it still needs the system's BLAS
# and LAPACKE (Scripts/setup.sh installs them, and makes OpenBLAS the
# libblas.so.3 in use). Uses sudo for a PREFIX that is not writable.
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=${1:-${PREFIX:-/usr/local}}
Scripts/setup.sh

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/man"
# swift-argument-parser's generate-manual plugin writes fingerprint.1 from the
# same command definitions as --help. It builds its own (dynamically linked)
# release binary, so it runs before the static build below.
echo "install: building the man page" >&2
swift package --allow-writing-to-directory "$stage/man" generate-manual --configuration release \
  --output-directory "$stage/man" >&2
[ -s "$stage/man/fingerprint.1" ] || { echo "install: the man page was not generated" >&2; exit 1; }

echo "install: building a release binary with the Swift standard library linked in" >&2
swift build -c release --static-swift-stdlib --product fingerprint >&2
cp "$(swift build -c release --static-swift-stdlib --show-bin-path)/fingerprint" "$stage/fingerprint"
bin="$stage/fingerprint"
if ldd "$bin" | grep -q libswiftCore; then
  echo "install: note: the binary still loads the Swift runtime from the toolchain" >&2
fi
"$bin" --generate-completion-script bash > "$stage/fingerprint.bash"
"$bin" --generate-completion-script zsh > "$stage/_fingerprint"
"$bin" --generate-completion-script fish > "$stage/fingerprint.fish"

as_needed() {
  if [ -w "$prefix" ] || { [ ! -e "$prefix" ] && [ -w "$(dirname "$prefix")" ]; } || [ "$(id -u)" -eq 0 ]; then "$@"
  else sudo "$@"; fi
}
as_needed install -d "$prefix/bin" "$prefix/share/man/man1" "$prefix/share/bash-completion/completions" \
  "$prefix/share/zsh/site-functions" "$prefix/share/fish/vendor_completions.d"
as_needed install -m 755 "$bin" "$prefix/bin/fingerprint"
as_needed install -m 644 "$stage/man/fingerprint.1" "$prefix/share/man/man1/fingerprint.1"
as_needed install -m 644 "$stage/fingerprint.bash" "$prefix/share/bash-completion/completions/fingerprint"
as_needed install -m 644 "$stage/_fingerprint" "$prefix/share/zsh/site-functions/_fingerprint"
as_needed install -m 644 "$stage/fingerprint.fish" "$prefix/share/fish/vendor_completions.d/fingerprint.fish"
echo "install: $prefix/bin/fingerprint ($("$prefix/bin/fingerprint" --version | head -1)), man page and completions installed" >&2
