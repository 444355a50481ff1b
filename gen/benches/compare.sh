#!/usr/bin/env bash
# Whole processes side by side, in one run, interleaved: each round runs
# every command once (starting one further along each round, so none is
# always first), and the table gives the median of RUNS rounds.
#
#   gen/benches/compare.sh [RUNS]          (default 11)
#   ARCHPORT_BIN=/path/to/archport gen/benches/compare.sh   (another build)
#
# The baselines are `cat` of the very files each archport command reads
# (found once with strace: every regular file it opens for reading,
# system libraries and its own output left out), so a ratio says how far
# a command is from only reading its input. spatch (Debian: coccinelle)
# runs, when installed, the C part of the port (gen/benches/kmap_local*.cocci)
# over the ten arch folders of the same pre-port tree, printing its diff;
# its baseline is `cat` of the C files in those folders.
#
# Needs the fetched kernel (fetched on first use) and strace. Writes only
# into a temporary folder.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-11}
if [ -z "${ARCHPORT_BIN:-}" ]; then
	cargo build --release -q -p archport
fi
bin=${ARCHPORT_BIN:-$PWD/target/release/archport}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pre_port=$("$bin" fetch --format json --quiet | sed -n 's/.*"pre_port": "\(.*\)".*/\1/p')
arches=(arc arm csky microblaze mips nds32 powerpc sparc x86 xtensa)
signoff="Bench <bench@example.org>"
command -v strace >/dev/null || { echo "compare.sh needs strace (Debian package strace)" >&2; exit 2; }

# The commands, by name, each run under `wrap` (strace, to find what it
# reads). An archport command exits 0 or 1 (a check found a difference);
# anything else stops the benchmark.
wrap=()
archport_port() { "${wrap[@]}" "$bin" port --out "$work/port" --quiet >/dev/null; }
archport_diff() { "${wrap[@]}" "$bin" diff --quiet >/dev/null || [ $? -eq 1 ]; }
archport_verify() { "${wrap[@]}" "$bin" verify --quiet >/dev/null || [ $? -eq 1 ]; }
archport_run() { "${wrap[@]}" "$bin" run --out "$work/run" --signoff "$signoff" --quiet >/dev/null || [ $? -eq 1 ]; }
# Two passes: with the export rules in the same file as the function
# rules, spatch parses every file that exports anything (about six times
# slower over the ten folders; see README, Performance).
spatch_c_part() {
	local a
	for a in "${arches[@]}"; do
		for sp in gen/benches/kmap_local.cocci gen/benches/kmap_local_exports.cocci; do
			spatch --sp-file "$sp" -j 2 --very-quiet --no-includes --include-headers --dir "$pre_port/arch/$a" \
				>/dev/null 2>&1
		done
	done
}

# Every regular file a command opens for reading, one a line.
inputs_of() {
	wrap=(strace -f -qq -e trace=openat -o "$work/trace")
	"$1"
	wrap=()
	grep -v -e O_DIRECTORY -e O_WRONLY -e O_RDWR -e ' = -1 ' "$work/trace" |
		sed -n 's/.*openat([^"]*"\([^"]*\)".*/\1/p' |
		grep -v -E "^(/proc|/sys|/dev|/etc|/lib|/usr/lib|/usr/share|$work)" |
		sort -u | while read -r f; do if [ -f "$f" ]; then echo "$f"; fi; done
}

names=(archport_port archport_diff archport_verify archport_run)
for n in "${names[@]}"; do
	inputs_of "$n" >"$work/$n.inputs"
	eval "cat_$n() { xargs cat <\"$work/$n.inputs\" >/dev/null; }"
	names+=("cat_$n")
done
if command -v spatch >/dev/null; then
	for a in "${arches[@]}"; do find "$pre_port/arch/$a" -name '*.[ch]' -type f; done >"$work/spatch.inputs"
	cat_spatch_c_part() { xargs cat <"$work/spatch.inputs" >/dev/null; }
	names+=(spatch_c_part cat_spatch_c_part)
else
	echo "spatch is not installed (Debian package coccinelle): left out" >&2
fi

# CPU milliseconds (user + system) of the finished children of this
# shell so far, into $children_ms: `times` must run in this shell, as a
# command substitution would be a subshell without children.
# Parsed in bash itself, so the measuring starts no process of its own.
children_cpu() {
	local user system t sec
	times >"$work/times"
	{
		read -r _
		read -r user system
	} <"$work/times"
	children_ms=0
	for t in "$user" "$system"; do
		sec=${t#*m}
		sec=${sec%s}
		children_ms=$((children_ms + ${t%%m*} * 60000 + ${sec%.*} * 1000 + 10#${sec#*.}))
	done
}

# Runs command $1 once: its wall microseconds into times[$1], its CPU
# milliseconds into cpu[$1].
declare -A times cpu
measure() {
	local c0 start end
	children_cpu
	c0=$children_ms
	start=$EPOCHREALTIME
	"$1"
	end=$EPOCHREALTIME
	children_cpu
	times[$1]+="$((${end/./} - ${start/./})) "
	cpu[$1]+="$((children_ms - c0)) "
}

for ((round = 0; round < runs; round++)); do
	for ((i = 0; i < ${#names[@]}; i++)); do
		measure "${names[$(((i + round) % ${#names[@]}))]}"
	done
	echo "round $((round + 1)) of $runs" >&2
done

median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
ms() { awk -v u="$1" 'BEGIN { printf (u < 10000 ? "%.2f ms" : u < 1000000 ? "%.1f ms" : "%.2f s"), (u < 1000000 ? u / 1000 : u / 1000000) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", a / b }'; }
files_and_size() { echo "$(wc -l <"$1") files, $(xargs cat <"$1" | wc -c | awk '{ printf "%.0f KB", $1 / 1024 }')"; }

echo "medians of $runs interleaved runs, $(date -u +%Y-%m-%d), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| process | median wall | ratio | baseline: cat of its input files (same run) | median CPU (user + sys) |"
echo "| --- | --- | --- | --- | --- |"
for n in archport_port archport_diff archport_verify archport_run spatch_c_part; do
	[ -n "${times[$n]:-}" ] || continue
	m=$(median <<<"${times[$n]}")
	c=$(median <<<"${times[cat_$n]}")
	inputs="$work/$n.inputs"
	[ "$n" = spatch_c_part ] && inputs="$work/spatch.inputs"
	label=${n/archport_/archport }
	[ "$n" = spatch_c_part ] && label="spatch, C part of the port (ten arch folders)"
	echo "| $label | $(ms "$m") | $(ratio "$m" "$c") | $(ms "$c") ($(files_and_size "$inputs")) | $(median <<<"${cpu[$n]}") ms |"
done
if [ -n "${times[spatch_c_part]:-}" ]; then
	echo
	echo "spatch / archport port: $(ratio "$(median <<<"${times[spatch_c_part]}")" "$(median <<<"${times[archport_port]}")")"
fi
