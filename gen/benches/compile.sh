#!/usr/bin/env bash
# Benchmark of `archport compile` for all ten arches: cold (no build
# folders: scratch trees, configuration and `make prepare` from nothing)
# and warm (a second run with nothing changed), each repeated, medians
# printed. Uses a cache of its own whose kernel data is the shared
# cache's (a symbolic link), so the shared build folders stay as they are.
#
#   gen/benches/compile.sh [COLD_RUNS] [WARM_RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
cold_runs=${1:-3}
warm_runs=${2:-3}
shared=${ARCHPORT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/archport}
cargo build --release -q -p archport
bin=target/release/archport
"$bin" fetch --cache "$shared" --quiet >/dev/null
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
ln -s "$shared/linux-source-5.10" "$cache/linux-source-5.10"

# Seconds one command takes; its output goes to a log.
seconds() {
	local start end
	start=$(date +%s.%N)
	"$@" >>"$cache/log" 2>&1 || { echo "failed: $*" >&2; tail -20 "$cache/log" >&2; exit 1; }
	end=$(date +%s.%N)
	echo "$end - $start" | bc
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

cold=()
warm=()
for _ in $(seq "$cold_runs"); do
	"$bin" compile --cache "$cache" --clean --quiet >/dev/null
	cold+=("$(seconds "$bin" compile --cache "$cache" --quiet)")
done
for _ in $(seq "$warm_runs"); do
	warm+=("$(seconds "$bin" compile --cache "$cache" --quiet)")
done
echo "cold, all ten arches: ${cold[*]} s; median $(printf '%s\n' "${cold[@]}" | median) s"
echo "warm, all ten arches: ${warm[*]} s; median $(printf '%s\n' "${warm[@]}" | median) s"
