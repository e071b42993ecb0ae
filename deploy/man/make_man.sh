#!/usr/bin/env bash
# Makes the man page burrow.1 with help2man from burrow's own help: the main
# --help, each subcommand's --help (section SUBCOMMANDS), and burrow.h2m.
# Usage: make_man.sh BURROW_BINARY VERSION OUTPUT
set -euo pipefail
binary=$1 version=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# so that the usage lines say "burrow", not the build path
printf '#!/usr/bin/env bash\nexec -a burrow %q "$@"\n' "$binary" > "$tmp/burrow"
export ASAN_OPTIONS=detect_leaks=0  # a sanitized build's burrow, asked for --help
chmod +x "$tmp/burrow"

subcommands() { "$tmp/burrow" "$@" --help | awk '$0 == "Subcommands:" {on = 1; next} /^[^ ]/ {on = 0} on && NF {print $1}'; }
section() {  # the --help of `burrow $*` as a preformatted block
  echo ".SS \"burrow $*\""
  echo ".nf"
  "$tmp/burrow" "$@" --help | sed -e 's/\\/\\e/g' -e "s/^[.']/\\\\\\&&/"
  echo ".fi"
}
{
  echo "[SUBCOMMANDS]"
  for sub in $(subcommands); do
    section "$sub"
    for nested in $(subcommands "$sub"); do section "$sub" "$nested"; done
  done
} > "$tmp/subcommands.h2m"

help2man --no-info --version-string="$version" \
  --name="reach the services of a machine behind NAT through a relay you run" \
  --include="$tmp/subcommands.h2m" --include="$here/burrow.h2m" --output="$out" "$tmp/burrow"
