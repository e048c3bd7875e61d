#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernel's own KVM selftests (tools/testing/selftests/kvm, x86_64) on
# kvmini: built here from Debian's linux-source-6.1, run in one boot of an
# emulated host, every program first on the distro KVM, then, with
# kvm_amd/kvm_intel and kvm unloaded, on kvmini as /dev/kvm (kvm_alias=1).
# Prints one table (test | KVM | kvmini | first failing line) and check
# points as make check counts them: a test that passes on KVM and fails,
# times out or skips on kvmini fails the check, unless ksft-known (next
# to this script) lists it; a listed test that passes must leave the
# list. Ends with "# Totals: pass:P fail:F skip:S" (skip: listed).
#
#   ksft.sh [--host amd|intel] [--timeout SECONDS] [PROG...]
#     --host      amd (default; make check runs it there) or intel (Bochs,
#                 by hand only: slow, and ksft-known was measured on amd)
#     --timeout   per test and hypervisor (default 60)
#     PROG...     only these programs (default: all of the x86_64 ones)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
host_dir=$top/selftests/host
build=$top/build/ksft
tarball=/usr/src/linux-source-6.1.tar.xz
host=amd timeout=60
while [ $# -gt 0 ]; do
	case "$1" in
	--host) host=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	-*) echo "ksft.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
case "$host" in
amd) vendor=kvm_amd ;;
intel) vendor=kvm_intel ;;
*) echo "ksft.sh: unknown host '$host' (amd or intel)" >&2; exit 2 ;;
esac
[ -f "$tarball" ] || { echo "ksft.sh: $tarball missing (make check installs linux-source-6.1)" >&2; exit 2; }
cd "$top"
mkdir -p "$build"
# Under make check the kernel's selftest makefiles would see its make
# level (lib.mk sets OUTPUT, where programs go, only at level 0): run
# them as from a shell.
unset MAKELEVEL MAKEFLAGS MFLAGS

# --- 1. kvmini.ko for the distro kernel, as make check builds it ---
kver=$("$host_dir/run.sh" --print-kver)
kdir=/lib/modules/$kver/build
[ "$(cat build/check/kdir 2>/dev/null)" = "$kdir" ] || make -s clean > /dev/null
mkdir -p build/check
echo "$kdir" > build/check/kdir
make -s KDIR="$kdir" W=1 modules > "$build/kbuild.log" 2>&1 || { cat "$build/kbuild.log"; exit 1; }

# --- 2. the KVM selftests, from the parts of the tarball they need ---
# Extracted and built once per tarball; static, for the host's busybox.
src=$build/linux-source-6.1
kvm=$src/tools/testing/selftests/kvm
stamp="$(stat -c '%s %Y' "$tarball") static"
if [ "$(cat "$build/built" 2>/dev/null)" != "$stamp" ]; then
	echo "# ksft: building the KVM selftests from $tarball"
	rm -rf "$src" "$build/built"
	tar -xJf "$tarball" -C "$build" linux-source-6.1/Makefile linux-source-6.1/scripts \
		linux-source-6.1/include linux-source-6.1/arch/x86 linux-source-6.1/tools
	# Two fixes for the 6.1.y tree, whose stable updates brought in code
	# that does not build there:
	#  - dirty_log_test.c uses TEST_ASSERT_EQ(), a macro 6.1's test_util.h
	#    does not have: the same check with TEST_ASSERT().
	#  - steal_time.c includes <asm/kvm.h>, which now uses
	#    __DECLARE_FLEX_ARRAY, before anything has included the uapi
	#    <linux/stddef.h> that defines it (tools/include's <linux/types.h>
	#    shadows the uapi one that would): include it first.
	sed -i 's/TEST_ASSERT_EQ(sem_val, 0);/TEST_ASSERT(sem_val == 0, "sem_val = %d", sem_val);/' \
		"$kvm/dirty_log_test.c"
	sed -i 's|^#include <asm/kvm.h>$|#include <linux/stddef.h>\n&|' "$kvm/steal_time.c"
	make -s -C "$src" headers > "$build/build.log" 2>&1 &&
		make -s -C "$kvm" -j2 EXTRA_CFLAGS=-static >> "$build/build.log" 2>&1 ||
		{ tail -n 30 "$build/build.log"; echo "ksft.sh: the KVM selftests did not build"; exit 1; }
	echo "$stamp" > "$build/built"
fi
# The x86_64 programs (their Makefile's TEST_GEN_PROGS), by file name.
all=$(echo 'print-progs: ; @echo $(TEST_GEN_PROGS)' |
	make -s -C "$kvm" --no-print-directory -f Makefile -f - print-progs)
progs=""
for p in $all; do
	[ $# = 0 ] || case " $* " in *" ${p##*/} "*) ;; *) continue ;; esac
	progs="$progs ${p##*/}"
done

# --- 3. one boot: every program on KVM, then on kvmini ---
# Under TCG some programs run for minutes with their defaults: shorter
# runs through their own options where they have them, and 20 s for
# those that did not finish on KVM in 60 s even so (measured): rseq_test
# (100,000 task migrations), hardware_disable_test (512 forked VMs),
# memslot_perf_test (also with -l 1) and max_guest_memory_test (its guest
# writes every page). A timeout on KVM never fails the check.
declare -A args=(
	[dirty_log_test]="-i 3"			# iterations (default 32)
	[dirty_log_perf_test]="-b 256M"		# memory per vCPU (default 1G)
	[memslot_perf_test]="-l 1"		# seconds per test (default 5)
	# The default, 2 GiB of shared memory, is the host's whole RAM: the
	# OOM killer, and its stack trace in the kernel log.
	[max_guest_memory_test]="-s 1 -m 2"	# GiB per slot and in all
)
declare -A limit=([rseq_test]=20 [hardware_disable_test]=20 [memslot_perf_test]=20
		  [max_guest_memory_test]=20)
job=$build/job
rm -rf "$job"
mkdir -p "$job/tests"
cp kmod/kvmini.ko "$job/"
for p in $all; do
	case " $progs " in *" ${p##*/} "*) ;; *) continue ;; esac
	strip -o "$job/tests/${p##*/}" "$p"
	echo "${p##*/} ${limit[${p##*/}]:-$timeout} ${args[${p##*/}]:-}" >> "$job/list"
done
cat > "$job/run" <<EOF
# Each program (list: name, timeout, options) under a timeout; its output
# between @@ksft-begin and @@ksft-end lines (with its exit status and
# seconds), long ones cut (lines too). Each in a process group of its
# own, killed afterwards: timeout kills only the program, and what it
# forked (hardware_disable_test's VMs) ran on and filled the memory.
# /dev/shm for sem_open().
mkdir -p /dev/shm && mount -t tmpfs shm /dev/shm
run_all() {
	while read -r p t a; do
		s=\$(date +%s)
		setsid timeout -k 5 \$t ./tests/\$p \$a > /tmp/out 2>&1 < /dev/null &
		pid=\$!
		wait \$pid
		rc=\$?
		kill -9 -\$pid 2> /dev/null
		echo "@@ksft-begin \$1 \$p"
		cut -c1-300 /tmp/out > /tmp/cut
		if [ \$(wc -l < /tmp/cut) -gt 200 ]; then
			head -n 100 /tmp/cut; echo "[... cut ...]"; tail -n 100 /tmp/cut
		else
			cat /tmp/cut
		fi
		echo "@@ksft-end \$1 \$p \$rc \$((\$(date +%s) - s)) \$t"
	done < list
}
run_all kvm
if rmmod $vendor kvm; then echo "@@host-ok rmmod $vendor kvm"; else echo "@@host-fail rmmod $vendor kvm"; exit 1; fi
if insmod ./kvmini.ko kvm_alias=1; then echo "@@host-ok insmod kvmini.ko kvm_alias=1"; else echo "@@host-fail insmod kvmini.ko kvm_alias=1"; exit 1; fi
run_all kvmini
if rmmod kvmini; then echo "@@host-ok rmmod kvmini"; else echo "@@host-fail rmmod kvmini"; fi
EOF
n=$(echo $progs | wc -w)
# The whole boot's bound: the AMD host took 280-400 s (measured); under
# Bochs, every program at its timeout, twice.
[ "$host" = amd ] && bound=1200 || bound=$((300 + 2 * n * (timeout + 5)))
echo "# ksft: $n programs on KVM, then on kvmini, in the $host host (at most $timeout s each)"
start=$(date +%s) rc=0
"$host_dir/run.sh" --host "$host" --kver "$kver" --modules "msr $vendor" \
	--timeout "$bound" --out "$build/$host" "$job" > "$build/$host.log" 2>&1 || rc=$?
echo "# ksft: the $host host took $(($(date +%s) - start)) s"

# --- 4. the table and the check points ---
# Each program's output in $out/LEG/PROG, its status and seconds in
# $out/LEG/PROG.rc.
out=$build/$host/out
rm -rf "$out"
mkdir -p "$out/kvm" "$out/kvmini"
awk -v out="$out" '
/^@@ksft-begin / { f = out "/" $2 "/" $3; printf "" > f; next }
/^@@ksft-end / { close(f); print $4, $5, $6 > (f ".rc"); close(f ".rc"); f = ""; next }
f != "" { print > f }
' "$build/$host/job.log"

result() {	# result LEG PROG: pass, fail, skip, timeout or "-" (did not run)
	local rc secs limit
	read -r rc secs limit 2>/dev/null < "$out/$1/$2.rc" || { echo -; return; }
	case $rc in
	0) echo pass ;;
	4) echo skip ;;
	137|143) [ "$secs" -ge "$limit" ] && echo timeout || echo fail ;;
	*) echo fail ;;
	esac
}
# The line that shows why: an assertion's place and message, else the
# first line that says it failed, else the last one.
first_fail() {	# first_fail FILE
	awk '
	/==== Test Assertion Failure ====/ { a = 1; next }
	a == 1 { sub(/^ +/, ""); loc = $0; sub(/: .*/, "", loc); whole = $0; a = 2; next }
	a == 2 && /^  pid=/ { a = 3; next }
	a == 3 && /^  [^ ]/ && !/addr2line/ { sub(/^ +/, ""); print loc ": " $0; done = 1; exit }
	!a && !first && tolower($0) ~ /fail|error|not ok|abort|segmentation/ { first = $0 }
	NF { last = $0 }
	END { if (done) exit; if (a) print whole; else if (first) print first; else print last }
	' "$1" | cut -c1-110
}

known=$host_dir/ksft-known
pass=0 fail=0 skip=0 bad=()
printf '%-36s | %-7s | %-7s | %s\n' test KVM kvmini "first failing line (kvmini)"
for p in $progs; do
	k=$(result kvm "$p") m=$(result kvmini "$p") why=""
	case $m in
	fail) why=$(first_fail "$out/kvmini/$p") ;;
	timeout) why="timed out ($(cut -d" " -f3 "$out/kvmini/$p.rc") s)" ;;
	skip) why=$(grep -m1 -o 'SKIP.*' "$out/kvmini/$p" | cut -c1-110 || true) ;;
	esac
	printf '%-36s | %-7s | %-7s | %s\n' "$p" "$k" "$m" "$why"
	listed=$(awk -v p="$p" '$1 == p { print "yes" }' "$known")
	if [ "$k" = - ] || [ "$m" = - ]; then
		fail=$((fail + 1)) bad+=("not ok - ksft: $p ran on both")
	elif [ -n "$listed" ] && [ "$m" = pass ]; then
		fail=$((fail + 1)) bad+=("not ok - ksft: $p passes on kvmini now: remove it from ksft-known")
	elif [ -n "$listed" ]; then
		skip=$((skip + 1))
	elif [ "$k" = pass ] && [ "$m" != pass ]; then
		fail=$((fail + 1)) bad+=("not ok - ksft: $p passes on KVM, not on kvmini ($m)")
	else
		pass=$((pass + 1))
	fi
done
[ ${#bad[@]} = 0 ] || printf '%s\n' "${bad[@]}"
# The host: modules swapped, finished in time, a clean kernel log.
while read -r tag what; do
	[ "$tag" = "@@host-ok" ] && pass=$((pass + 1)) ||
		{ fail=$((fail + 1)); echo "not ok - ksft: $what"; }
done < <(grep -aE '^@@host-(ok|fail) ' "$build/$host/job.log" || true)
case $rc in
124) fail=$((fail + 1)); echo "not ok - ksft: the $host host finished in time"; tail -n 30 "$build/$host.log" ;;
125) fail=$((fail + 1)); echo "not ok - ksft: the $host host's kernel log is clean"; tail -n 30 "$build/$host.log" ;;
*) pass=$((pass + 1)) ;;
esac
echo "# ksft: $pass passed, $fail failed, $skip skipped (known differences: $known)"
echo "# Totals: pass:$pass fail:$fail skip:$skip"
[ "$fail" = 0 ]
