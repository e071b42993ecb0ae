#!/usr/bin/env bash
# Builds one libFuzzer target with clang (ASan + UBSan) and runs it for
# ${FUZZ_SECONDS:-60} seconds on a copy of its seed corpus. Exits non-zero on
# any crash, sanitizer report or broken invariant, keeping the input in
# BUILD_DIR/artifacts-NAME/.
# Usage: tests/fuzz/fuzz.sh NAME BUILD_DIR     NAME: mux | e2e | config | resume | link
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
name=${1:?usage: fuzz.sh mux|e2e|config|resume|link BUILD_DIR}
build=${2:?usage: fuzz.sh mux|e2e|config|resume|link BUILD_DIR}
seconds=${FUZZ_SECONDS:-60}
case $name in
  mux) sources=("$repo"/proto/*.cpp); libs=() ;;
  e2e) sources=("$repo"/crypto/{e2e_errc,e2e_handshake,record,identity,key_files}.cpp); libs=(-lsodium -lcrypto) ;;
  config) sources=("$repo/app/config.cpp" "$repo"/proto/*.cpp); libs=() ;;
  resume) sources=("$repo"/proto/*.cpp); libs=() ;;
  link) sources=("$repo"/crypto/{e2e_errc,record,link_records}.cpp "$repo"/proto/*.cpp); libs=(-lsodium -lcrypto) ;;
  *) echo "fuzz.sh: unknown target '$name'" >&2; exit 2 ;;
esac
mkdir -p "$build"
bin=$build/${name}_fuzz
clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I"$repo" \
  "${sources[@]}" "$repo/tests/fuzz/${name}_fuzz.cpp" "${libs[@]}" -o "$bin"
corpus=$build/corpus-$name
artifacts=$build/artifacts-$name
rm -rf "$corpus"
mkdir -p "$corpus" "$artifacts"
cp "$repo/tests/fuzz/corpus/$name"/* "$corpus/"
log=$build/${name}_fuzz.log
status=0
"$bin" "$corpus" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$artifacts/" \
  -close_fd_mask=1 >"$log" 2>&1 || status=$?
grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done )' "$log" || true
if [ "$status" -ne 0 ] || grep -qE 'ERROR: (AddressSanitizer|libFuzzer)|runtime error:|invariant broken' "$log"; then
  echo "${name}_fuzz FAILED (exit $status); last lines of $log:" >&2
  tail -n 40 "$log" >&2
  ls "$artifacts" >&2
  exit 1
fi
echo "${name}_fuzz: no crash in ${seconds} s"
