#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unmodified QEMU (Debian's 7.2) on kvmini: in the emulated AMD host, with
# kvmini loaded as /dev/kvm (kvm_alias=1), QEMU boots Debian's kernel with
# a busybox initramfs whose /init runs a few commands and powers off, by
# -kernel and through SeaBIOS from a syslinux disk; then the same on the
# distro's kvm_amd. Prints the guest's console and a line
#   @@host-ok|fail <what>
# per check, and both boot times with their ratio.
#
# A second boot by -kernel uses another CPU model: EPYC on the AMD host,
# Skylake-Server on the Intel one (what a real guest of that vendor
# touches: MSRs, CPUID; QEMU leaves out what the host CPU lacks).
#
# --host intel: the same in the emulated Intel host (Bochs, VMX) against
# kvm_intel, by -kernel only, timed by this machine's clock (a few minutes
# per boot). Bochs has no 9p, so QEMU, the libraries it needs and its
# firmware go into the job as a small root, /job/q; the guest's console
# is also copied live to the host's console (console.log).
# --boots "kernel seabios model": which of the boots to run (default:
# all the host has; make check runs only the model one on Intel).
# --exits: also count each boot's exits by reason (tracefs histograms of
# kvmini:kvmini_exit and kvm:kvm_exit) and print them side by side.
#
#   boot.sh [--host amd|intel] [--boots LIST] [--exits] KVMINI_KO OUT_DIR
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
host=amd boots="kernel seabios model"
[ "${1:-}" = --host ] && { host=$2; shift 2; }
[ "${1:-}" = --boots ] && { boots=$2; shift 2; }
count_exits=""
[ "${1:-}" = --exits ] && { count_exits=1; shift; }
usage="usage: boot.sh [--host amd|intel] [--boots LIST] [--exits] KVMINI_KO OUT_DIR"
ko=${1:?$usage}
out=${2:?$usage}
kver=$("$here/../host/run.sh" --print-kver)
job=$out/job
rm -rf "$job"
mkdir -p "$job/g/bin" "$job/g/proc" "$job/g/sys" "$job/g/dev"
cp "$ko" "$job/kvmini.ko"

# The guest: busybox, and an /init that shows it works, then powers off.
cp /bin/busybox "$job/g/bin/busybox"
cat > "$job/g/init" <<'GUEST'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
echo "guest: /init after $(cut -d' ' -f1 /proc/uptime) s of guest time"
PS1='guest# ' exec sh -i
GUEST
chmod +x "$job/g/init"
(cd "$job/g" && find . | cpio -o -H newc --quiet) > "$job/guest.cpio"
rm -rf "$job/g"
append="console=ttyS0 quiet pci=noearly tsc=reliable no_timer_check 8250.nr_uarts=1 panic=-1"

if [ "$host" = amd ]; then
# The same kernel and initramfs on a disk for SeaBIOS: a FAT volume with
# syslinux in its boot sector (no partition table: the BIOS boots it).
dd if=/dev/zero of="$job/disk.img" bs=1M count=48 status=none
mkfs.vfat -n KVMINI "$job/disk.img" > /dev/null
syslinux --install "$job/disk.img"
printf 'DEFAULT linux\nPROMPT 0\nTIMEOUT 0\nLABEL linux\n  KERNEL vmlinuz\n  APPEND initrd=initrd %s\n' \
	"$append" > "$job/syslinux.cfg"
mcopy -i "$job/disk.img" "/boot/vmlinuz-$kver" ::vmlinuz
mcopy -i "$job/disk.img" "$job/guest.cpio" ::initrd
mcopy -i "$job/disk.img" "$job/syslinux.cfg" ::syslinux.cfg
# R: QEMU's root (this machine's, over 9p); limit: seconds for one boot.
R=/host limit=120 sink='> /host/tmp/$name.log 2>&1'
vendor=kvm_amd reload="irqbypass ccp kvm kvm-amd"
start="cp /job/guest.cpio /job/disk.img /host/tmp/
chroot /host qemu-system-x86_64 -version > /dev/null	# libraries over 9p, once"
seabios='qemu $1-seabios -drive file=/tmp/disk.img,format=raw,if=virtio'
model=EPYC
clock=job.log clock_note=""
run_opts=(--hostroot --kver "$kver" --modules "msr kvm_amd" --timeout 400)
elif [ "$host" = intel ]; then
# QEMU's root in the job: the program, its libraries (ldd), the firmware
# that -nodefaults -kernel loads, coreutils' timeout (for -k), the guest.
q=$job/q
for f in /usr/bin/qemu-system-x86_64 /usr/bin/timeout \
	 $(ldd /usr/bin/qemu-system-x86_64 /usr/bin/timeout | grep -o '/[^ ]* ') \
	 /usr/share/seabios/bios-256k.bin /usr/share/qemu/kvmvapic.bin \
	 /usr/share/qemu/linuxboot_dma.bin "/boot/vmlinuz-$kver"; do
	mkdir -p "$q$(dirname "$f")"
	cp -L "$f" "$q$f"
done
mkdir -p "$q/proc" "$q/sys" "$q/dev" "$q/tmp"
mv "$job/guest.cpio" "$q/tmp/"
append="$append cryptomgr.notests mitigations=off"
R=/job/q limit=30 sink='2>&1 | tee /job/q/tmp/$name.log > /dev/ttyS0'
vendor=kvm_intel reload="irqbypass kvm kvm-intel"
start="mount -t proc proc /job/q/proc && mount -t sysfs sys /job/q/sys &&
	mount -t devtmpfs dev /job/q/dev"
seabios="" model=Skylake-Server
# Bochs's clock runs far slower than the wall's (40-80x while a nested
# guest runs; limit is in its seconds): time each leg here, on this
# machine's clock, from its @@wall line to its "## NAME".
clock=wall.log clock_note=" (wall clock)"
run_opts=(--host intel --kver "$kver" --modules "msr kvm_intel" --timeout 3000)
else
	echo "boot.sh: unknown host '$host'" >&2
	exit 2
fi

# The boots asked for, as lines of the job ($1 there: kvmini or kvm).
wallmark() {	# Intel: the boot's start, for wall() below
	if [ "$host" = intel ]; then printf 'echo "@@wall $1-%s"; ' "$1"; fi
}
boot_line() {	# boot_line NAME QEMU-ARGS...: the job's line for one -kernel boot
	local name=$1
	shift
	printf '%sqemu $1-%s %s -kernel /boot/vmlinuz-%s -initrd /tmp/guest.cpio -append "%s"' \
		"$(wallmark "$name")" "$name" "$*" "$kver" "$append"
}
kernel="" second=""
case " $boots " in *" kernel "*) kernel=$(boot_line kernel) ;; esac
case " $boots " in *" seabios "*) ;; *) seabios="" ;; esac
case " $boots " in *" model "*) second=$(boot_line "$model" -cpu "$model") ;; esac

cat > "$job/run" <<JOB
$start
T=/sys/kernel/tracing
exits() {	# exits on|off NAME: count the guest's exits by reason (--exits)
	[ "$count_exits" = 1 ] || return 0
	local ev=\$T/events/kvm/kvm_exit k=exit_reason.hex
	case \$2 in kvmini-*) ev=\$T/events/kvmini/kvmini_exit k=reason.hex ;; esac
	if [ \$1 = on ]; then
		[ -d \$T/events ] || mount -t tracefs nodev \$T
		echo "hist:keys=\$k:size=4096" > \$ev/trigger
	else
		grep '^{' \$ev/hist | sed "s/^/@@exits \$2 /"
		echo "!hist:keys=\$k:size=4096" > \$ev/trigger
	fi
}
qemu() {	# qemu NAME ARGS...: boot the guest, time it, check its console
	local name=\$1 s e
	shift
	s=\$(cut -d' ' -f1 /proc/uptime)
	rm -f $R/tmp/in $R/tmp/\$name.log
	mkfifo $R/tmp/in
	(	# type at the guest's shell prompt, over its serial console
		t=0
		until grep -q "guest# " $R/tmp/\$name.log 2>/dev/null || [ \$t -gt $((limit * 10)) ]; do
			sleep 0.1; t=\$((t + 1))
		done
		printf 'uname -a; grep -c processor /proc/cpuinfo; free -m\\n'
		printf 'echo @@clock \$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)\\n'
		# the guest kernel's log, for what the check below looks for
		# (typed in a form that does not match it itself), then a mark
		# to wait for before typing on: what is typed while output
		# flows is echoed into the middle of it, a complaint line cut
		# in two only one side has
		printf 'dmesg | grep -E "unchecked MS[R]|WARNIN[G]:|Call Trac[e]|Oop[s]|general protectio[n]"; echo @@dmesg-\$((6 * 7))\\n'
		t=0
		until grep -q "@@dmesg-42" $R/tmp/\$name.log 2>/dev/null || [ \$t -gt $((limit * 10)) ]; do
			sleep 0.1; t=\$((t + 1))
		done
		printf 'echo @@guest-ok; poweroff -f\\n'
		sleep $((limit + 10))
	) > $R/tmp/in &
	exits on \$name
	chroot $R timeout -k 5 $limit qemu-system-x86_64 -accel kvm \\
		-machine pc,kernel-irqchip=off -cpu qemu64 -m 256 -smp 1 \\
		-vga none -nodefaults -serial stdio -display none -no-reboot \\
		"\$@" < $R/tmp/in $sink
	kill \$! 2>/dev/null
	e=\$(cut -d' ' -f1 /proc/uptime)
	exits off \$name
	echo "## \$name"
	# (without CRs and the shell's cursor-position queries, ESC [6n)
	tr -d '\\r' < $R/tmp/\$name.log | sed 's/.\\[6n//g' |
		grep -v "host doesn't support requested feature"
	echo "@@time \$name \$s \$e"
	tr -d '\\r' < $R/tmp/\$name.log | sed -n "s/^@@clock /@@clocksource \$name /p"
	# What the guest's kernel complained of (compared with KVM's below).
	tr -d '\\r' < $R/tmp/\$name.log | grep -v '^guest# ' |
		grep -E "unchecked MSR|WARNING:|Call Trace|Oops|general protection" |
		grep -v "Speculative Return Stack Overflow: WARNING: See" |
		sed 's/^\\[ *[0-9.]*\\] //' | sort -u | sed "s/^/@@problem \$name /"
	if tr -d '\\r' < $R/tmp/\$name.log | grep -q "^@@guest-ok" &&
	   ! grep -qE "internal error|emulation failure" $R/tmp/\$name.log; then
		echo "@@host-ok \$name: unmodified QEMU boots Linux to a shell, no KVM error"
	else
		echo "@@host-fail \$name: unmodified QEMU boots Linux to a shell, no KVM error"
	fi
}
both() {	# both HYPERVISOR: -kernel, SeaBIOS from the disk, another CPU model
	:
	$kernel
	$seabios
	$second
}
rmmod $vendor && rmmod kvm && insmod /job/kvmini.ko kvm_alias=1 || echo "@@host-fail qemu: kvmini as /dev/kvm"
both kvmini
rmmod kvmini
for m in $reload; do insmod /modules/\$m.ko 2>/dev/null; done
both kvm
JOB
wall() {	# pass the job's output on; log "@@time NAME START END" by this clock
	local l now name= start=
	while IFS= read -r l; do
		now=$(date +%s.%N)
		case $l in
		"@@wall "*) name=${l#@@wall } start=$now; continue ;;
		"## $name") [ -n "$start" ] && echo "@@time $name $start $now" >> "$out/wall.log" ;;
		esac
		printf '%s\n' "$l"
	done
}
if [ "$host" = amd ]; then
	"$here/../host/run.sh" "${run_opts[@]}" --out "$out" "$job" | grep -v '^@@time'
else
	: > "$out/wall.log"
	"$here/../host/run.sh" "${run_opts[@]}" --out "$out" "$job" | grep --line-buffered -v '^@@time' | wall
fi
# The guest's kernel may complain of what the CPU model offers (under
# -cpu EPYC here: an XSAVE size WARN), on KVM as well: kvmini must not
# add a complaint of its own.
for how in kernel seabios $model; do
	grep -q "^## kvmini-$how" "$out/job.log" || continue
	extra=$(comm -23 <(sed -n "s/^@@problem kvmini-$how //p" "$out/job.log" | sort -u) \
			 <(sed -n "s/^@@problem kvm-$how //p" "$out/job.log" | sort -u))
	[ -z "$extra" ] || printf '%s\n' "$extra" | sed "s/^/# kvmini-$how only: /"
	[ -z "$extra" ] && r=ok || r=fail
	echo "@@host-$r kvmini-$how: the guest's kernel log has no complaint KVM's lacks"
	# The clock the guest's kernel picked (kvm-clock on KVM for qemu64).
	mine=$(sed -n "s/^@@clocksource kvmini-$how //p" "$out/job.log")
	ref=$(sed -n "s/^@@clocksource kvm-$how //p" "$out/job.log")
	printf '# guest clocksource, %s: kvmini %s, KVM %s\n' "$how" "${mine:-?}" "${ref:-?}"
	[ -n "$mine" ] && [ "$mine" = "$ref" ] && r=ok || r=fail
	echo "@@host-$r kvmini-$how: the guest keeps time with the clocksource it has on KVM"
done
awk -v note="$clock_note" -v model="$model" '/^@@time/ { t[$2] = $4 - $3 } END {
	split("kernel seabios " model, how, " ")
	for (i = 1; i <= 3; i++) {
		a = t["kvmini-" how[i]]; b = t["kvm-" how[i]]
		if (a && b)
			printf "# QEMU %s boot to the guest shell and poweroff%s: kvmini %.2f s, KVM %.2f s, kvmini/KVM %.2f\n",
			       how[i] == "kernel" ? "-kernel" : how[i] == "seabios" ? "SeaBIOS disk" : "-cpu " how[i] " -kernel",
			       note, a, b, a / b
	} }' "$out/$clock"
# --exits: the exits of each boot by reason, kvmini's beside KVM's (the
# names from the uapi headers of the host's vendor).
if [ -n "$count_exits" ]; then
	[ "$host" = amd ] && names="SVM_EXIT_" || names="EXIT_REASON_"
	for how in kernel seabios $model; do
		grep -q "^@@exits kvmini-$how " "$out/job.log" || continue
		echo "# exits by reason, $how boot: reason kvmini KVM"
		awk -v how="$how" -v pre="$names" '
		function hex(x,	i, v) {
			for (i = 1; i <= length(x); i++)
				v = v * 16 + index("0123456789abcdef", substr(tolower(x), i, 1)) - 1
			return v
		}
		function num(x) {	# decimal or 0x hex
			return x ~ /^0x/ ? hex(substr(x, 3)) : x + 0
		}
		FILENAME != "-" && $1 == "#define" && index($2, pre) == 1 && $3 ~ /^(0x)?[0-9a-f]+$/ {
			v = num($3)
			if (!(v in name)) name[v] = tolower(substr($2, length(pre) + 1))
			next
		}
		$1 == "@@exits" {	# (the histogram prints .hex keys bare)
			side = $2 == "kvmini-" how ? 1 : $2 == "kvm-" how ? 2 : 0
			if (!side) next
			r = hex($5); n[r, side] += $8; tot[side] += $8; seen[r] = 1
		}
		END {
			for (r in seen)
				printf "#   %-20s %9d %9d\n", (r in name) ? name[r] : sprintf("0x%x", r),
				       n[r, 1], n[r, 2] | "sort -k3,3nr"
			close("sort -k3,3nr")
			printf "#   %-20s %9d %9d\n", "total", tot[1], tot[2]
		}' /usr/include/x86_64-linux-gnu/asm/svm.h /usr/include/x86_64-linux-gnu/asm/vmx.h - < "$out/job.log"
	done
fi
