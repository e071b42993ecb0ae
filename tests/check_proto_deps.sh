#!/bin/sh
# proto/ is the sans-I/O core: it may include only the standard library and itself.
dir=${1:?usage: check_proto_deps.sh PROTO_DIR}
bad=$(grep -nE '^\s*#\s*include\s*[<"](boost|asio|openssl|sodium|spdlog|fmt|toml|CLI)' "$dir"/*.hpp "$dir"/*.cpp)
if [ -n "$bad" ]; then
  echo "proto/ must not depend on I/O or third-party libraries:"
  echo "$bad"
  exit 1
fi
echo "proto/ includes only the standard library"
