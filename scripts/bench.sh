#!/usr/bin/env bash
# `make bench`: build release and run coindaily-bench. Arguments (or BENCH_ARGS) go to coindaily-bench;
# see `coindaily-bench --help`. Results belong in bench-results/ (git-ignored).
#
#   make bench BENCH_ARGS="--help"
#   SKIP_BUILD=1 scripts/bench.sh --help
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  bash scripts/install-deps.sh
  swift build -c release --product coindaily-bench
fi
bin=$(swift build -c release --show-bin-path)
mkdir -p bench-results

# shellcheck disable=SC2086  # BENCH_ARGS is a word list on purpose
exec "$bin/coindaily-bench" ${BENCH_ARGS:-} "$@"
