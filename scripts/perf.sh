#!/usr/bin/env bash
# perf.sh reproduces the performance table of PERFORMANCE.md: it seeds stores, starts servers
# on 127.0.0.1, drives them with `switchboard bench run` and writes every run's JSON, its
# printed table and a summary (summary.md) to the results directory.
#
#   scripts/perf.sh [STEP...] [RESULTS_DIR]        (default: all, ./perf-results)
#
# Steps (run in this order, whatever order they are given in):
#   sqlite    SQLite, BASE_COUNT connections stored: create, credentials, get, list at
#             CONCURRENCY with --floor, then the five compat families at COMPAT_CONCURRENCY
#   scale     the same core scenarios with BASE_COUNT and with COUNT connections stored,
#             back to back: the ratios to the floor should be within 20%
#   rss       RSS_COUNT connections stored, the core load, then the server's peak RSS (VmHWM)
#   pg        the sqlite step's table on PostgreSQL
#   replicas  two servers on one PostgreSQL database (one keyring): create and credentials
#             against one replica, then split over both at once
#   all       every step
#
# Settings (environment):
#   DURATION=10s WARMUP=1s CONCURRENCY=32,128 COMPAT_CONCURRENCY=32
#   BASE_COUNT=10000    connections stored for sqlite, pg, replicas and the small scale store
#   SEED=1000           connections the read scenarios pick among (bench run --seed)
#   COUNT=1000000       connections stored for the large scale store (seeding 1M takes minutes)
#   SCALE_SEED=10000    --seed of the scale runs (at most BASE_COUNT: more would be created
#                       through the API): reads spread over more rows than a cache of recent
#                       rows keeps, so they reach the store
#   RSS_COUNT=100000
#   REPLICA_CONCURRENCY=64  total workers of a replica run: all on one replica, then half on
#                       each of the two (the offered load stays the same; req/s are summed)
#   SWITCHBOARD_PERF_PG=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
#                       the PostgreSQL server; each PostgreSQL step creates a database of its
#                       own on it (switchboard_perf_<pid>_<step>) and drops it at the end
#   SB_BIN              switchboard binary to use (default: built from this checkout)
#   PORT=18480          first port tried on 127.0.0.1
#   PERF_STEPS          steps when none is given as an argument
#
# Every server is started on 127.0.0.1 and stopped by its PID when the script ends, however
# it ends; temporary data and the PostgreSQL databases it created are removed. The API key
# the runs use lives in a shell variable only: never in a file, a command line or the results.
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

root=$(cd "$(dirname "$0")/.." && pwd)
steps=()
out=""
for arg in "$@"; do
	case $arg in
	sqlite | scale | rss | pg | replicas | all) steps+=("$arg") ;;
	-h | --help) usage; exit 0 ;;
	-*) echo "perf.sh: unknown option $arg" >&2; exit 2 ;;
	*)
		if [[ -n $out ]]; then
			echo "perf.sh: two results directories given: $out and $arg" >&2
			exit 2
		fi
		out=$arg
		;;
	esac
done
if [[ ${#steps[@]} -eq 0 ]]; then
	read -ra steps <<<"${PERF_STEPS:-all}"
fi
out=${out:-./perf-results}

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-1s}
CONCURRENCY=${CONCURRENCY:-32,128}
COMPAT_CONCURRENCY=${COMPAT_CONCURRENCY:-32}
BASE_COUNT=${BASE_COUNT:-10000}
COUNT=${COUNT:-1000000}
SEED=${SEED:-$((BASE_COUNT < 1000 ? BASE_COUNT : 1000))}
SCALE_SEED=${SCALE_SEED:-$((BASE_COUNT < 10000 ? BASE_COUNT : 10000))}
RSS_COUNT=${RSS_COUNT:-100000}
REPLICA_CONCURRENCY=${REPLICA_CONCURRENCY:-64}
PG_URL=${SWITCHBOARD_PERF_PG:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
PORT=${PORT:-18480}
CORE=create,credentials,get,list
COMPAT=slash,secmaster,versori,unified,auth0
REPLICA_SCENARIOS=(create credentials)

want() { # want STEP: whether STEP was asked for
	local s
	for s in "${steps[@]}"; do
		[[ $s == "$1" || $s == all ]] && return 0
	done
	return 1
}

for s in SEED BASE_COUNT COUNT SCALE_SEED RSS_COUNT REPLICA_CONCURRENCY; do
	if ! [[ ${!s} =~ ^[1-9][0-9]*$ ]]; then
		echo "perf.sh: $s=${!s}: want a number >= 1" >&2
		exit 2
	fi
done
if ((SEED > BASE_COUNT || SCALE_SEED > BASE_COUNT)); then
	echo "perf.sh: SEED and SCALE_SEED must not exceed BASE_COUNT (the bench would create the rest through the API)" >&2
	exit 2
fi
if ((SEED > RSS_COUNT)); then
	echo "perf.sh: SEED must not exceed RSS_COUNT" >&2
	exit 2
fi
if want replicas && ((REPLICA_CONCURRENCY < 2 || REPLICA_CONCURRENCY % 2 != 0)); then
	echo "perf.sh: REPLICA_CONCURRENCY must be even (it is split over two replicas)" >&2
	exit 2
fi
for tool in jq curl; do
	command -v "$tool" >/dev/null || { echo "perf.sh: needs $tool" >&2; exit 2; }
done
if want pg || want replicas; then
	command -v psql >/dev/null || { echo "perf.sh: the pg and replicas steps need psql" >&2; exit 2; }
fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/sbperf.XXXXXX")
pids=()      # servers and load clients this script started
databases=() # PostgreSQL databases this script created
key=""       # the API key of the runs: never exported, written or printed

cleanup() {
	local rc=$? pid db
	trap - EXIT INT TERM
	for pid in "${pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		wait_exit "$pid" 30 || kill -KILL "$pid" 2>/dev/null || true
	done
	for db in "${databases[@]}"; do
		psql "$PG_URL" -qX -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 ||
			echo "perf.sh: could not drop database $db" >&2
	done
	rm -rf "$work"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log() { printf '%s perf: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# redact hides anything shaped like an API key (the first start's banner prints the owner key).
redact() { sed -u -e 's/sbk_[a-z2-7]\{8,\}/sbk_[redacted]/g'; }

# wait_exit PID SECONDS: waits for PID to end; fails if it is still running after SECONDS.
wait_exit() {
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null || true; return 0; }
		sleep 0.1
	done
	return 1
}

forget_pid() {
	local p keep=()
	for p in "${pids[@]}"; do
		[[ $p == "$1" ]] || keep+=("$p")
	done
	pids=("${keep[@]}")
}

if [[ -n ${SB_BIN:-} ]]; then
	bin=$SB_BIN
else
	log "building switchboard"
	(cd "$root" && go build -o "$work/switchboard" ./cmd/switchboard)
	bin=$work/switchboard
fi

# free_port sets port to the next port from PORT on that nothing listens on.
free_port() {
	while (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do
		PORT=$((PORT + 1))
	done
	port=$PORT
	PORT=$((PORT + 1))
}

# seed STOREFLAGS... -- N: fills a store (server stopped) and logs the rate to seed.log.
seed() {
	local args=() n start
	while [[ $1 != -- ]]; do args+=("$1"); shift; done
	n=$2
	log "seeding $n connections"
	start=$(date +%s)
	"$bin" bench seed "${args[@]}" --count "$n" --progress 10s 2>&1 | redact | tee -a "$out/seed.log" >&2
	log "seeded $n connections in $(($(date +%s) - start))s"
}

# new_key STOREFLAGS...: sets key to a new owner key with credentials:read (what the bench
# needs: editor and credentials:read, owner for auth0's organizations), in every workspace.
new_key() {
	key=$("$bin" apikey create "$@" --workspace '*' --role owner --scope credentials:read --name perf-bench | tail -n 1)
	[[ $key == sbk_* ]] || { echo "perf.sh: apikey create gave no key" >&2; exit 1; }
}

# start_server NAME STOREFLAGS...: starts serve on a free port; sets server_pid and server_url.
start_server() {
	local name=$1 port i
	shift
	free_port
	"$bin" serve "$@" --addr "127.0.0.1:$port" --log-level warn --health-interval 0 \
		--refresh-interval 0 --webhook-workers 0 >"$work/$name.log" 2>&1 &
	server_pid=$!
	pids+=("$server_pid")
	server_url=http://127.0.0.1:$port
	for ((i = 0; i < 600; i++)); do
		if curl -fsS -o /dev/null "$server_url/readyz" 2>/dev/null; then
			log "$name: serving at $server_url (pid $server_pid)"
			return 0
		fi
		if ! kill -0 "$server_pid" 2>/dev/null; then
			echo "perf.sh: $name exited; its log:" >&2
			redact <"$work/$name.log" >&2
			exit 1
		fi
		sleep 0.1
	done
	echo "perf.sh: $name is not ready after 60s" >&2
	exit 1
}

stop_server() {
	kill -TERM "$1" 2>/dev/null || true
	wait_exit "$1" 30 || kill -KILL "$1" 2>/dev/null || true
	forget_pid "$1"
}

# bench NAME URL SCENARIOS CONCURRENCY [FLAGS...]: one bench run, its JSON and table kept as
# NAME.json and NAME.txt. The key reaches it in its environment, not on its command line.
bench() {
	local name=$1 url=$2 scen=$3 conc=$4
	shift 4
	log "$name: $scen at c=$conc against $url"
	SWITCHBOARD_TOKEN=$key "$bin" bench run --url "$url" --scenarios "$scen" --concurrency "$conc" \
		--duration "$DURATION" --warmup "$WARMUP" --json "$out/$name.json" "$@" 2>&1 |
		redact | tee "$out/$name.txt" >&2
}

# cpu_ticks: busy and total jiffies of the machine, from /proc/stat.
cpu_ticks() { awk '/^cpu /{ t=0; for (i=2;i<=NF;i++) t+=$i; print t-$5-$6, t; exit }' /proc/stat; }
# proc_ticks PID: user+system jiffies of a process.
proc_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

# pg_database STEP: creates a database of its own on the PostgreSQL server; sets db to its URL.
pg_database() {
	local name=switchboard_perf_$$_$1 base query rest authority
	base=${PG_URL%%\?*}
	query=""
	[[ $PG_URL == *\?* ]] && query=?${PG_URL#*\?}
	rest=${base#*://}
	authority=${rest%%/*}
	psql "$PG_URL" -qX -v ON_ERROR_STOP=1 -c "CREATE DATABASE $name" >/dev/null
	databases+=("$name")
	db=${base%%://*}://$authority/$name$query
}

timings=()
step_start() { step_t0=$(date +%s); log "step $1"; }
step_end() { timings+=("$1: $(($(date +%s) - step_t0))s"); }

# core_and_compat PREFIX STOREFLAGS...: the table of the sqlite and pg steps.
core_and_compat() {
	local prefix=$1
	shift
	start_server "$prefix" "$@"
	bench "$prefix-core" "$server_url" "$CORE" "$CONCURRENCY" --floor --seed "$SEED"
	bench "$prefix-compat" "$server_url" "$COMPAT" "$COMPAT_CONCURRENCY" --floor --seed "$SEED"
	stop_server "$server_pid"
}

if want sqlite; then
	step_start sqlite
	d=$work/sqlite
	seed --data-dir "$d" -- "$BASE_COUNT"
	new_key --data-dir "$d"
	core_and_compat sqlite --data-dir "$d"
	rm -rf "$d"
	step_end sqlite
fi

if want scale; then
	step_start scale
	for n in "$BASE_COUNT" "$COUNT"; do
		d=$work/scale-$n
		seed --data-dir "$d" -- "$n"
		size=$(du -sh "$d" | cut -f1)
		new_key --data-dir "$d"
		start_server "scale-$n" --data-dir "$d"
		bench "scale-$n" "$server_url" "$CORE" "$CONCURRENCY" --floor --seed "$SCALE_SEED"
		stop_server "$server_pid"
		echo "data dir of $n connections: $size seeded, $(du -sh "$d" | cut -f1) after the runs" >>"$out/scale-store-size.txt"
		rm -rf "$d"
	done
	step_end scale
fi

if want rss; then
	step_start rss
	d=$work/rss
	seed --data-dir "$d" -- "$RSS_COUNT"
	new_key --data-dir "$d"
	start_server rss --data-dir "$d"
	bench rss "$server_url" "$CORE" "$CONCURRENCY" --seed "$SEED"
	hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$server_pid/status")
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$server_pid/status")
	stop_server "$server_pid"
	jq -n --argjson count "$RSS_COUNT" --argjson hwm "$hwm" --argjson rss "$rss" \
		'{connections: $count, peak_rss_kib: $hwm, rss_after_kib: $rss, peak_rss_mib: (($hwm / 1024 * 10 | round) / 10)}' >"$out/rss-peak.json"
	log "peak RSS $(jq -r .peak_rss_mib "$out/rss-peak.json") MiB with $RSS_COUNT connections stored"
	rm -rf "$d"
	step_end rss
fi

if want pg; then
	step_start pg
	d=$work/pg
	pg_database pg
	seed --data-dir "$d" --database-url "$db" -- "$BASE_COUNT"
	new_key --data-dir "$d" --database-url "$db"
	core_and_compat pg --data-dir "$d" --database-url "$db"
	step_end pg
fi

if want replicas; then
	step_start replicas
	d=$work/replicas
	pg_database replicas
	seed --data-dir "$d" --database-url "$db" -- "$BASE_COUNT"
	new_key --data-dir "$d" --database-url "$db"
	# One data dir, so one keyring file: both replicas open the same keys.
	start_server replica-a --data-dir "$d" --database-url "$db"
	pid_a=$server_pid url_a=$server_url
	start_server replica-b --data-dir "$d" --database-url "$db"
	pid_b=$server_pid url_b=$server_url
	half=$((REPLICA_CONCURRENCY / 2))
	: >"$work/replicas.cpu"
	for scen in "${REPLICA_SCENARIOS[@]}"; do
		read -r b0 t0 <<<"$(cpu_ticks)"
		a0=$(proc_ticks "$pid_a")
		bench "replicas-1-$scen" "$url_a" "$scen" "$REPLICA_CONCURRENCY" --seed "$SEED"
		read -r b1 t1 <<<"$(cpu_ticks)"
		a1=$(proc_ticks "$pid_a")
		echo "$scen 1 $((b1 - b0)) $((t1 - t0)) $((a1 - a0)) 0" >>"$work/replicas.cpu"

		read -r b0 t0 <<<"$(cpu_ticks)"
		a0=$(proc_ticks "$pid_a") z0=$(proc_ticks "$pid_b")
		# The binaries themselves run in the background (not a function's subshell), so that
		# the cleanup can stop them by PID.
		log "replicas-2-$scen: $scen at c=$half on each of $url_a and $url_b"
		for r in a b; do
			u=$url_a
			[[ $r == b ]] && u=$url_b
			SWITCHBOARD_TOKEN=$key "$bin" bench run --url "$u" --scenarios "$scen" --concurrency "$half" \
				--duration "$DURATION" --warmup "$WARMUP" --seed "$SEED" --json "$out/replicas-2-$scen-$r.json" \
				>"$work/replicas-2-$scen-$r.out" 2>&1 &
			pids+=("$!")
			[[ $r == a ]] && ba=$! || bb=$!
		done
		rc=0
		wait "$ba" || rc=$?
		wait "$bb" || rc=$?
		forget_pid "$ba"
		forget_pid "$bb"
		for r in a b; do
			redact <"$work/replicas-2-$scen-$r.out" | tee "$out/replicas-2-$scen-$r.txt" >&2
		done
		((rc == 0)) || { echo "perf.sh: a replica run failed" >&2; exit 1; }
		read -r b1 t1 <<<"$(cpu_ticks)"
		a1=$(proc_ticks "$pid_a") z1=$(proc_ticks "$pid_b")
		echo "$scen 2 $((b1 - b0)) $((t1 - t0)) $((a1 - a0)) $((z1 - z0))" >>"$work/replicas.cpu"
	done
	hz=$(getconf CLK_TCK)
	jq -R -n --argjson hz "$hz" --argjson total "$REPLICA_CONCURRENCY" '[inputs | split(" ") |
		{scenario: .[0], replicas: (.[1] | tonumber), total_concurrency: $total,
		 machine_busy: (((.[2] | tonumber) / (.[3] | tonumber) * 100 | round) / 100),
		 replica_a_cpu_seconds: ((.[4] | tonumber) / $hz), replica_b_cpu_seconds: ((.[5] | tonumber) / $hz)}]' \
		<"$work/replicas.cpu" >"$out/replicas-cpu.json"
	stop_server "$pid_a"
	stop_server "$pid_b"
	step_end replicas
fi

# --- summary -------------------------------------------------------------------------------

# table FILE: a markdown table of one bench run's JSON.
table() {
	jq -r '
		def f0: . * 1 | round;
		def f2: (. * 100 | round) / 100 | tostring;
		def errs: if .error_count == 0 then "0" else (.errors | to_entries | map("\(.key):\(.value)") | join(" ")) end;
		(if .floor then
			"| scenario | c | req/s | p50 ms | p99 ms | max ms | errors | floor req/s | floor p99 ms | ratio |",
			"|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
		else
			"| scenario | c | req/s | p50 ms | p99 ms | max ms | errors |",
			"|---|--:|--:|--:|--:|--:|--:|"
		end),
		(.results[] | "| \(.scenario) | \(.concurrency) | \(.server.rps | f0) | \(.server.p50_ms | f2) | \(.server.p99_ms | f2) | \(.server.max_ms | f2) | \(.server | errs) |"
			+ (if .floor then " \(.floor.rps | f0) | \(.floor.p99_ms | f2) | \(.ratio | f2) |" else "" end))' "$1"
}

# targets FILE: the issue's SQLite targets, checked against one core run.
targets() {
	jq -r '
		def f2: (. * 100 | round) / 100 | tostring;
		{create: {ratio: 0.30, p99: 50}, credentials: {ratio: 0.60, p99: 20}, list: {ratio: 0.20}} as $t
		| .results[] | select($t[.scenario]) | . as $r | $t[.scenario] as $g
		| "- \(.scenario) c=\(.concurrency): ratio \(.ratio | f2) (target >= \($g.ratio)) "
			+ (if .ratio >= $g.ratio then "ok" else "MISSED" end)
			+ (if $g.p99 and .concurrency == 32 then
				", p99 \(.server.p99_ms | f2) ms (target <= \($g.p99) ms) " + (if .server.p99_ms <= $g.p99 then "ok" else "MISSED" end)
			else "" end)' "$1"
}

{
	echo "# Switchboard performance run"
	echo
	echo "- started from commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)'), $(date -u +%Y-%m-%dT%H:%MZ)"
	first=$(ls "$out"/*.json 2>/dev/null | grep -v -e rss-peak -e replicas-cpu | head -n 1 || true)
	if [[ -n $first ]]; then
		jq -r '.machine | "- machine: \(.goos)/\(.goarch), \(.num_cpu) CPUs (GOMAXPROCS \(.gomaxprocs)), \(.cpu_model // "unknown CPU"), \(.go_version)"' "$first"
	fi
	echo "- memory: $(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r)"
	if want pg || want replicas; then
		echo "- PostgreSQL $(psql "$PG_URL" -qXtAc 'SHOW server_version' 2>/dev/null || echo '?') on the same machine"
	fi
	echo "- settings: DURATION=$DURATION WARMUP=$WARMUP CONCURRENCY=$CONCURRENCY COMPAT_CONCURRENCY=$COMPAT_CONCURRENCY SEED=$SEED BASE_COUNT=$BASE_COUNT COUNT=$COUNT SCALE_SEED=$SCALE_SEED RSS_COUNT=$RSS_COUNT REPLICA_CONCURRENCY=$REPLICA_CONCURRENCY"
	echo "- command: scripts/perf.sh ${steps[*]}"
	echo "- step times: ${timings[*]:-none}"
	echo "- servers: serve --log-level warn --health-interval 0 --refresh-interval 0 --webhook-workers 0, on 127.0.0.1; the load tool runs on the same machine"
	for pair in "sqlite:SQLite" "pg:PostgreSQL"; do
		p=${pair%%:*}
		[[ -f $out/$p-core.json ]] || continue
		echo
		echo "## ${pair#*:}, $(jq .seeded_connections "$out/$p-core.json") connections picked among, $BASE_COUNT seeded"
		echo
		table "$out/$p-core.json"
		if [[ $p == sqlite ]]; then
			echo
			targets "$out/$p-core.json"
		fi
		if [[ -f $out/$p-compat.json ]]; then
			echo
			echo "Compat families (their create call):"
			echo
			table "$out/$p-compat.json"
		fi
	done
	if [[ -f $out/scale-$BASE_COUNT.json && -f $out/scale-$COUNT.json ]]; then
		echo
		echo "## Scale: $COUNT vs $BASE_COUNT connections stored (SQLite)"
		echo
		echo "Ratios to the floor measured in the same run; the issue asks for the large store within 20% of the small one."
		echo
		echo "| scenario | c | ratio $BASE_COUNT | ratio $COUNT | large / small | req/s $BASE_COUNT | req/s $COUNT | p99 ms $BASE_COUNT | p99 ms $COUNT | within 20% |"
		echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|---|"
		jq -r -n --slurpfile s "$out/scale-$BASE_COUNT.json" --slurpfile l "$out/scale-$COUNT.json" '
			def f2: (. * 100 | round) / 100 | tostring;
			$s[0].results[] as $a | $l[0].results[]
			| select(.scenario == $a.scenario and .concurrency == $a.concurrency)
			| (.ratio / $a.ratio) as $q
			| "| \(.scenario) | \(.concurrency) | \($a.ratio | f2) | \(.ratio | f2) | \($q | f2) | \($a.server.rps | round) | \(.server.rps | round) | \($a.server.p99_ms | f2) | \(.server.p99_ms | f2) | \(if $q >= 0.8 then "yes" else "NO" end) |"'
		[[ -f $out/scale-store-size.txt ]] && sed 's/^/- /' "$out/scale-store-size.txt"
	fi
	if [[ -f $out/rss-peak.json ]]; then
		echo
		echo "## Peak RSS (SQLite, $RSS_COUNT connections stored)"
		echo
		jq -r '"Peak RSS of the server (VmHWM) over the core load: \(.peak_rss_mib) MiB (target <= 64 MiB: \(if .peak_rss_kib <= 65536 then "ok" else "MISSED" end)); RSS after the load \(.rss_after_kib / 1024 | round) MiB."' "$out/rss-peak.json"
		echo
		table "$out/rss.json"
	fi
	if [[ -f $out/replicas-cpu.json ]]; then
		echo
		echo "## PostgreSQL: 1 vs 2 replicas on one database"
		echo
		echo "$REPLICA_CONCURRENCY workers in all: on one replica, then $((REPLICA_CONCURRENCY / 2)) on each of two (two load processes at once, req/s summed)."
		echo "Machine busy is the share of all CPUs' time not idle during the runs (the servers, PostgreSQL and the load tool share them)."
		echo
		echo "| scenario | 1 replica req/s | p99 ms | 2 replicas req/s (a + b) | p99 ms (a / b) | 2 / 1 | machine busy 1 / 2 | replica CPU s 1 / 2 (a + b) |"
		echo "|---|--:|--:|--:|--:|--:|--:|--:|"
		for scen in "${REPLICA_SCENARIOS[@]}"; do
			one=$out/replicas-1-$scen.json ra=$out/replicas-2-$scen-a.json rb=$out/replicas-2-$scen-b.json
			[[ -f $one && -f $ra && -f $rb ]] || continue
			jq -r -n --arg scen "$scen" --slurpfile o "$one" --slurpfile a "$ra" --slurpfile b "$rb" --slurpfile c "$out/replicas-cpu.json" '
				def f2: (. * 100 | round) / 100 | tostring;
				$o[0].results[0].server as $o | $a[0].results[0].server as $a | $b[0].results[0].server as $b
				| ($c[0] | map(select(.scenario == $scen))) as $cpu
				| ($cpu | map(select(.replicas == 1))[0]) as $c1 | ($cpu | map(select(.replicas == 2))[0]) as $c2
				| "| \($scen) | \($o.rps | round) | \($o.p99_ms | f2) | \($a.rps + $b.rps | round) (\($a.rps | round) + \($b.rps | round)) | \($a.p99_ms | f2) / \($b.p99_ms | f2) | \(($a.rps + $b.rps) / $o.rps | f2) | \($c1.machine_busy | f2) / \($c2.machine_busy | f2) | \($c1.replica_a_cpu_seconds | f2) / \($c2.replica_a_cpu_seconds | f2) + \($c2.replica_b_cpu_seconds | f2) |"'
		done
	fi
} >"$out/summary.md"

# The results are meant to be published: make sure no key slipped into them.
if grep -rlE 'sbk_[a-z2-7]{20,}' "$out" >/dev/null 2>&1; then
	echo "perf.sh: an API key appears in $out; not publishing-safe" >&2
	exit 1
fi
log "results in $out (summary.md)"
cat "$out/summary.md" >&2
