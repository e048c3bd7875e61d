#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unmodified QEMU's live migration (pre-copy, over a unix socket, both
# ends in the emulated AMD host) of a Linux guest that keeps dirtying
# memory, on kvmini and then on the distro KVM, in one host boot. The
# guest fills 48 MiB with random bytes and prints their md5, then
# copies 16 MiB of random bytes over a quarter of another 64 MiB in a
# loop, a "tick" each. For each
# hypervisor, prints
#   @@mig HYPERVISOR SECONDS TICKS OK|BAD
# the wall time from "migrate" to QEMU's "completed", the ticks the
# guest did meanwhile, and whether the 48 MiB arrived intact (the md5
# the destination computes). Auto-converge is on, as a VMM that wants
# the migration to end would have it. A benchmark (make bench runs it
# with BENCH_QEMU=1): nothing here judges the times.
#
#   migrate.sh KVMINI_KO OUT_DIR
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
ko=${1:?usage: migrate.sh KVMINI_KO OUT_DIR}
out=${2:?usage: migrate.sh KVMINI_KO OUT_DIR}
kver=$("$here/../host/run.sh" --print-kver)
job=$out/job
rm -rf "$job"
mkdir -p "$job/g/bin" "$job/g/proc" "$job/g/sys" "$job/g/dev" "$job/g/mnt"
cp "$ko" "$job/kvmini.ko"

cp /bin/busybox "$job/g/bin/busybox"
cat > "$job/g/init" <<'GUEST'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t devtmpfs dev /dev
mount -t tmpfs -o size=176m tmpfs /mnt
dd if=/dev/urandom of=/mnt/keep bs=1M count=48 2>/dev/null
echo "@@md5 $(md5sum /mnt/keep | cut -d' ' -f1)"
dd if=/dev/urandom of=/mnt/a bs=1M count=16 2>/dev/null
dd if=/dev/urandom of=/mnt/b bs=1M count=16 2>/dev/null
dd if=/dev/zero of=/mnt/churn bs=1M count=64 2>/dev/null
(n=0; while [ ! -e /mnt/stop ]; do
	f=/mnt/a; [ $((n / 4 % 2)) = 1 ] && f=/mnt/b
	dd if=$f of=/mnt/churn bs=1M count=16 seek=$((n % 4 * 16)) conv=notrunc 2>/dev/null
	n=$((n + 1)); echo "@@tick $n"
done; echo "@@stopped") &
PS1='guest# ' exec sh -i
GUEST
chmod +x "$job/g/init"
(cd "$job/g" && find . | cpio -o -H newc --quiet) > "$job/mig.cpio"
rm -rf "$job/g"

cat > "$job/run" <<JOB
T=/host/tmp
cp /job/mig.cpio \$T/
chroot /host qemu-system-x86_64 -version > /dev/null
q() {	# the QEMU command line both ends share
	echo qemu-system-x86_64 -accel kvm -machine pc,kernel-irqchip=off -cpu qemu64 \\
		-m 256 -smp 1 -vga none -nodefaults -display none -no-reboot \\
		-kernel /boot/vmlinuz-$kver -initrd /tmp/mig.cpio \\
		-append \"console=ttyS0 quiet tsc=reliable no_timer_check 8250.nr_uarts=1 panic=-1\"
}
last_tick() { tr -d '\\r' < \$1 2>/dev/null | sed -n 's/^@@tick //p' | tail -n 1; }
mig() {	# mig HYPERVISOR
	local hv=\$1 t=0 s e t0 t1 md5 got st
	rm -f \$T/mon \$T/dstin \$T/src.* \$T/dst.* \$T/mig.sock
	mkfifo \$T/mon \$T/dstin
	eval chroot /host timeout 600 \$(q) -incoming unix:/tmp/mig.sock \\
		-serial stdio -monitor none < \$T/dstin > \$T/dst.log 2>&1 &
	exec 4> \$T/dstin
	eval chroot /host timeout 600 \$(q) -serial file:/tmp/src.log \\
		-monitor stdio < \$T/mon > \$T/src.mon 2>&1 &
	exec 3> \$T/mon
	until [ "\$(last_tick \$T/src.log)" -ge 3 ] 2>/dev/null || [ \$t -gt 1800 ]; do
		sleep 0.1; t=\$((t + 1))
	done
	md5=\$(tr -d '\\r' < \$T/src.log | sed -n 's/^@@md5 //p')
	echo "migrate_set_capability auto-converge on" >&3
	s=\$(cut -d' ' -f1 /proc/uptime)
	t0=\$(last_tick \$T/src.log)
	echo "migrate -d unix:/tmp/mig.sock" >&3
	st=""
	while [ -z "\$st" ]; do
		sleep 0.5
		echo "info migrate" >&3
		st=\$(grep -o "Migration status: \\(completed\\|failed\\|cancelled\\)" \$T/src.mon | tail -n 1)
		t=\$((t + 5))
		[ \$t -gt 5000 ] && st="timeout"
	done
	e=\$(cut -d' ' -f1 /proc/uptime)
	echo "quit" >&3
	exec 3>&-
	t=0
	until [ -n "\$(last_tick \$T/dst.log)" ] || [ \$t -gt 600 ]; do sleep 0.1; t=\$((t + 1)); done
	t1=\$(last_tick \$T/dst.log)
	echo "md5sum /mnt/keep" >&4
	t=0
	until tr -d '\\r' < \$T/dst.log | grep -q "^[0-9a-f]\\{32\\}  /mnt/keep" || [ \$t -gt 600 ]; do
		sleep 0.1; t=\$((t + 1))
	done
	got=\$(tr -d '\\r' < \$T/dst.log | sed -n 's|^\\([0-9a-f]\\{32\\}\\)  /mnt/keep|\\1|p' | tail -n 1)
	# Each quarter of the churned memory is all of a or all of b (or
	# still zero): a write the dirty log missed would leave a mix.
	echo "touch /mnt/stop" >&4
	t=0
	until tr -d '\\r' < \$T/dst.log | grep -q "^@@stopped" || [ \$t -gt 600 ]; do sleep 0.1; t=\$((t + 1)); done
	echo 'for q in 0 1 2 3; do echo "@@q \$(dd if=/mnt/churn bs=1M skip=\$((q * 16)) count=16 2>/dev/null | md5sum)"; done; for f in a b; do echo "@@f \$(md5sum < /mnt/\$f)"; done; echo "@@f \$(head -c 16777216 /dev/zero | md5sum)"; echo @@sums-\$((6 * 7))' >&4
	t=0
	until tr -d '\\r' < \$T/dst.log | grep -q "^@@sums-42" || [ \$t -gt 600 ]; do sleep 0.1; t=\$((t + 1)); done
	mixed=\$(tr -d '\\r' < \$T/dst.log | awk '\$1 == "@@f" { ok[\$2] = 1 } \$1 == "@@q" { q[++n] = \$2 } END { for (i = 1; i <= n; i++) bad += !(q[i] in ok); print n == 4 ? bad + 0 : "?" }')
	echo "poweroff -f" >&4
	exec 4>&-
	wait
	# QEMU's own account of it (the last "info migrate")
	tr -d '\\r' < \$T/src.mon | grep -E "throttle|dirty sync|dirty pages rate|total time|transferred ram|duplicate|normal:" |
		tail -n 7 | sed "s/^/## \$hv qemu: /"
	tr -d '\\r' < \$T/src.log | grep -v '^@@tick' | head -n 8 | sed "s/^/## \$hv src: /"
	tr -d '\\r' < \$T/dst.log | grep -v '^@@tick' | tail -n 8 | sed "s/^/## \$hv dst: /"
	echo "## \$hv: \$st; ticks \$t0 at migrate, \${t1:-?} after; md5 \$md5 / \${got:-?}"
	[ -n "\$md5" ] && [ "\$md5" = "\$got" ] && ok=OK || ok=BAD
	[ "\$st" = "Migration status: completed" ] || ok=BAD
	[ "\$mixed" = 0 ] || { ok=BAD; echo "## \$hv: \$mixed quarters of the churned memory are a mix"; }
	echo "@@mig \$hv \$(awk -v s=\$s -v e=\$e 'BEGIN { printf "%.1f", e - s }') \$(( \${t1:-0} - \${t0:-0} )) \$ok"
}
rmmod kvm_amd && rmmod kvm && insmod /job/kvmini.ko kvm_alias=1 || echo "@@mig-fail kvmini as /dev/kvm"
mig kvmini
rmmod kvmini
for m in irqbypass ccp kvm kvm-amd; do insmod /modules/\$m.ko 2>/dev/null; done
mig kvm
JOB
"$here/../host/run.sh" --hostroot --kver "$kver" --modules "msr kvm_amd" --timeout 1500 \
	--out "$out" "$job" | grep -E '^(## |@@mig)'
