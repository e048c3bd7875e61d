#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run kvmini selftest programs and print KTAP: one test point per program,
# its own output nested as "# " lines, then the totals of all test cases
# and one line "N passed, N failed, N skipped".
#
#   run_tests.sh [-b backend] prog...      T="<pattern> ..." runs only matching programs
#   KVMINI_NO_SUMMARY=1: leave out the plain summary line
#
# POSIX sh only: it also runs under busybox inside the emulated hosts.

cd "$(dirname "$0")" || exit 1
backend=""
if [ "$1" = "-b" ]; then backend="$2: "; shift 2; fi

progs=""
for p in "$@"; do
	# T: one pattern, or several separated by spaces
	for pat in ${T:-""}; do
		case "$p" in *"$pat"*) progs="$progs $p"; break ;; esac
	done
done
set -- $progs

pass=0 fail=0 skip=0 n=0
out=${TMPDIR:-/tmp}/kvmini-test.$$
echo "TAP version 13"
echo "1..$#"
for p in "$@"; do
	n=$((n + 1))
	echo "# selftest: kvmini: $backend$p"
	./"$p" > "$out" 2>&1
	rc=$?
	sed 's/^/# /' "$out"
	# The harness ends with "# Totals: pass:P fail:F xfail:X xpass:Y skip:S error:E".
	totals=$(sed -n 's/^# Totals: pass:\([0-9]*\) fail:\([0-9]*\) .*skip:\([0-9]*\) error:\([0-9]*\).*/\1 \2 \3 \4/p' "$out")
	if [ -z "$totals" ]; then
		# No totals: the program crashed or is not a harness program.
		case $rc in 0) tp=1 tf=0 ts=0 ;; 4) tp=0 tf=0 ts=1 ;; *) tp=0 tf=1 ts=0 ;; esac
	else
		read -r tp tf ts te <<-EOT
		$totals
		EOT
		tf=$((tf + te))
		# A non-zero exit with no failed case counted is still a failure.
		if [ "$rc" != 0 ] && [ "$rc" != 4 ] && [ "$tf" = 0 ]; then tf=1; fi
	fi
	pass=$((pass + tp)) fail=$((fail + tf)) skip=$((skip + ts))
	if [ "$tf" != 0 ]; then
		echo "not ok $n selftests: kvmini: $backend$p # exit=$rc"
	elif [ "$rc" = 4 ]; then
		echo "ok $n selftests: kvmini: $backend$p # SKIP"
	else
		echo "ok $n selftests: kvmini: $backend$p"
	fi
done
rm -f "$out"
echo "# Totals: pass:$pass fail:$fail skip:$skip"
# The plain summary line, unless a caller (make check) sums up itself.
[ -n "${KVMINI_NO_SUMMARY:-}" ] || echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
