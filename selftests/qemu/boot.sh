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
# kvm_intel, by -kernel only (no SeaBIOS disk), timed by this machine's
# clock (a few minutes per boot). Bochs has no 9p, so QEMU, the libraries it needs and its
# firmware go into the job as a small root, /job/q; the guest's console
# is also copied live to the host's console (console.log).
# split: -machine q35,kernel-irqchip=split (the local APIC in the
# hypervisor, the IOAPIC and PIC in QEMU), then the same with -machine pc
# (split-pc), one vCPU, and a virtio-blk-pci disk of known content that
# the guest's init reads back. Checked: its
# md5 against the image's; that the guest's virtio interrupts are MSI-X
# and come; that the local APIC is the kernel's (x2apic in the guest, no
# QEMU warning of its own); and from QEMU's trace of its KVM calls (-trace
# into a file, -D) that it registered an ioeventfd inside the device's
# BARs. Before it, a probe (irqchip_caps.c) prints the split irqchip's
# capabilities as the hypervisor reports them.
#
# --boots "kernel seabios model split split-smp irqchip": which of the boots
# to run (default: all the host has; make check runs only the model one on
# Intel). split-smp: the q35 split boot with -smp 2 (on the distro KVM too,
# with PV EOI off), and the guest must see both CPUs. irqchip: QEMU's
# default, the whole irqchip in the hypervisor (PIC, IOAPIC, PIT too):
# q35 -smp 2 (irqchip-smp) and pc (irqchip-pc), with the split boots'
# disk and checks.
# --exits: also count each boot's exits by reason (tracefs histograms of
# kvmini:kvmini_exit and kvm:kvm_exit) and print them side by side.
#
#   boot.sh [--host amd|intel] [--boots LIST] [--exits] KVMINI_KO OUT_DIR
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
host=amd boots="kernel seabios model split split-smp irqchip"
[ "${1:-}" = --host ] && { host=$2; shift 2; }
[ "${1:-}" = --boots ] && { boots=$2; shift 2; }
count_exits=""
[ "${1:-}" = --exits ] && { count_exits=1; shift; }
usage="usage: boot.sh [--host amd|intel] [--boots LIST] [--exits] KVMINI_KO OUT_DIR"
ko=${1:?$usage}
out=${2:?$usage}
kver=$("$here/../host/run.sh" --print-kver)
# The split boots (make check: on the AMD host only; on Bochs each takes
# minutes).
split_on=""
case " $boots " in *" split "*|*" split-smp "*|*" irqchip "*) split_on=1 ;; esac
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
if grep -qw vdacheck /proc/cmdline; then	# the split boot: read the virtio disk
	mount -t devtmpfs dev /dev
	for m in $(cat /lib/modules/order); do
		insmod /lib/modules/$m || echo "guest: insmod $m failed"
	done
	t=0
	until [ -b /dev/vda ] || [ $t -ge 50 ]; do sleep 0.1; t=$((t + 1)); done
	echo "@@vda md5 $(md5sum < /dev/vda | cut -d' ' -f1) sectors $(cat /sys/block/vda/size)"
	# The interrupts of the virtio device: chip PCI-MSI in 6.1 for MSI
	# and MSI-X alike, so also each vector's mode from sysfs.
	grep virtio /proc/interrupts | sed 's/^ */@@irq /'
	for f in /sys/bus/pci/drivers/virtio-pci/*/msi_irqs/*; do
		[ -e "$f" ] && echo "@@msi $(basename "$f") $(cat "$f")"
	done
	# Its BARs, for the notify address QEMU's ioeventfd should be in.
	cat /sys/bus/pci/drivers/virtio-pci/*/resource | while read -r a b f; do
		[ $((a)) = 0 ] || echo "@@bar $a $b"
	done
	grep -qw x2apic /proc/cpuinfo && echo "@@x2apic yes" || echo "@@x2apic no"
	echo "@@cpus $(grep -c ^processor /proc/cpuinfo)"
fi
PS1='guest# ' exec sh -i
GUEST
chmod +x "$job/g/init"
(cd "$job/g" && find . | cpio -o -H newc --quiet) > "$job/guest.cpio"
rm -rf "$job/g"
if [ -n "$split_on" ]; then
# The split boot's initramfs: the same, and (a second cpio after it, which
# the kernel unpacks over the first) the distro's virtio-blk modules in
# load order.
mkdir -p "$job/m/lib/modules"
for m in virtio_pci virtio_blk; do
	modprobe -S "$kver" --show-depends "$m" | while read -r kind path _; do
		[ "$kind" = insmod ] || continue
		name=$(basename "$path")
		grep -qx "${name%.xz}" "$job/m/lib/modules/order" 2>/dev/null && continue
		case "$path" in
		*.xz) xz -dc "$path" > "$job/m/lib/modules/${name%.xz}"; name=${name%.xz} ;;
		*) cp "$path" "$job/m/lib/modules/$name" ;;
		esac
		echo "$name" >> "$job/m/lib/modules/order"
	done
done
{ cat "$job/guest.cpio"; (cd "$job/m" && find . | cpio -o -H newc --quiet); } > "$job/guest-split.cpio"
rm -rf "$job/m"
# Its disk: 4 MiB, each 512-byte sector a distinct text ("kvmini vda
# sector N" repeated), so a sector lost, repeated or moved changes the sum.
awk 'BEGIN { for (s = 0; s < 8192; s++) {
	l = sprintf("kvmini vda sector %07d\n", s); b = ""
	while (length(b) < 512) b = b l
	printf "%s", substr(b, 1, 512) } }' > "$job/vda.img"
vda_md5=$(md5sum < "$job/vda.img" | cut -d' ' -f1)
gcc -static -O2 -Wall -o "$job/irqchip_caps" "$here/irqchip_caps.c"
fi
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
start="cp /job/guest.cpio /job/disk.img ${split_on:+/job/guest-split.cpio /job/vda.img }/host/tmp/
chroot /host qemu-system-x86_64 -version > /dev/null	# libraries over 9p, once"
seabios='qemu $1-seabios pc,kernel-irqchip=off -drive file=/tmp/disk.img,format=raw,if=virtio'
model=EPYC
clock=job.log clock_note=""
run_opts=(--hostroot --kver "$kver" --modules "msr kvm_amd" --timeout $((400 + ${split_on:-0} * 500)))
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
mv "$job/guest.cpio" ${split_on:+"$job/guest-split.cpio" "$job/vda.img"} "$q/tmp/"
append="$append cryptomgr.notests mitigations=off"
R=/job/q limit=$((30 + ${split_on:-0} * 30)) sink='2>&1 | tee /job/q/tmp/$name.log > /dev/ttyS0'
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
boot_line() {	# boot_line NAME MACHINE INITRD APPEND-MORE QEMU-ARGS...: one -kernel boot's line
	local name=$1 machine=$2 initrd=$3 more=$4
	shift 4
	printf '%sqemu $1-%s %s %s -kernel /boot/vmlinuz-%s -initrd /tmp/%s -append "%s%s"' \
		"$([ -n "${nowall:-}" ] || wallmark "$name")" "$name" "$machine" "$*" "$kver" "$initrd" \
		"$append" "$more"
}
off=pc,kernel-irqchip=off
kernel="" second="" split=""
case " $boots " in *" kernel "*) kernel=$(boot_line kernel $off guest.cpio "") ;; esac
case " $boots " in *" seabios "*) ;; *) seabios="" ;; esac
case " $boots " in *" model "*) second=$(boot_line "$model" $off guest.cpio "" -cpu "$model") ;; esac
# The split boot, if the hypervisor can (KVM must): QEMU's trace of its
# KVM calls goes to a file of its own (-D), summed up below.
# With the local APIC in the kernel (split or kernel-irqchip=on, q35 or
# pc alike), KVM's guest in this emulated host often dies early: with PV
# EOI (QEMU's default then) it hung in 6 boots of 7, spinning in a
# spinlock's slow path, a lock held on its only CPU; without it in about
# 1 of 6 (a hang; or a timer interrupt taken with GS not yet swapped, the
# stack guard page hit). Both look like an interrupt injected when the
# guest had them masked, i.e. the nested SVM under TCG: so no PV EOI, and
# a boot that does not reach the shell is tried once more (and says so).
split_boot() {	# split_boot NAME MACHINE [ARGS]: an in-kernel irqchip, the virtio disk read back
	local name=$1 machine=$2
	shift 2
	printf '%stwice ' "$(wallmark "$name")"	# (Intel: the mark before, not under twice)
	nowall=1 boot_line "$name" "$machine" guest-split.cpio " vdacheck" "$@" \
		-cpu qemu64,kvm-pv-eoi=off -drive file=/tmp/vda.img,format=raw,if=none,id=vda,readonly=on \
		-device virtio-blk-pci,drive=vda -D "/tmp/\$1-$name.trace" \
		-trace kvm_set_ioeventfd_mmio -trace kvm_set_ioeventfd_pio \
		-trace kvm_irqchip_add_msi_route -trace kvm_vm_ioctl
}
if [ -n "$split_on" ]; then
	split="/job/irqchip_caps | sed \"s/^/@@caps \$1 /\""
	case " $boots " in *" split "*) split="$split
	$(split_boot split q35,kernel-irqchip=split)
	$(split_boot split-pc pc,kernel-irqchip=split)" ;; esac
	case " $boots " in *" split-smp "*) split="$split
	$(split_boot split-smp q35,kernel-irqchip=split -smp 2)" ;; esac
	case " $boots " in *" irqchip "*) split="$split
	$(split_boot irqchip-smp q35 -smp 2)
	$(split_boot irqchip-pc pc)" ;; esac
fi

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
qemu() {	# qemu NAME MACHINE ARGS...: boot the guest, time it, check its console
	local name=\$1 machine=\$2 s e
	shift 2
	s=\$(cut -d' ' -f1 /proc/uptime)
	rm -f $R/tmp/in $R/tmp/\$name.log $R/tmp/\$name.trace
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
		-machine \$machine -cpu qemu64 -m 256 -smp 1 \\
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
	# QEMU's trace (-D): the ioeventfds it registered, the MSI routes it
	# added, and its VM ioctls counted by number.
	if [ -e $R/tmp/\$name.trace ]; then
		sed -nE 's/^[0-9]+@[0-9.]+://; /^(kvm_set_ioeventfd|kvm_irqchip_add_msi_route)/s/^/@@qtrace '\$name' /p' \\
			$R/tmp/\$name.trace
		sed -n 's/.*kvm_vm_ioctl type \(0x[0-9a-f]*\),.*/\1/p' $R/tmp/\$name.trace |
			sort | uniq -c | while read -r n t; do echo "@@qioctl \$name \$t \$n"; done
	fi
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
twice() {	# twice qemu NAME ARGS...: if the guest did not reach its shell, once more
	# (the distro KVM's reference boots twice more: under QEMU's emulated
	# SVM its pc split boot hung silently in 3 tries of 8 in one day)
	local n=1 tries=2
	case \$2 in kvm-*) tries=3 ;; esac
	"\$@" > /tmp/try.log
	while ! grep -q "^@@host-ok" /tmp/try.log && [ \$n -lt \$tries ]; do
		echo "@@retry \$2: boot \$n did not reach the shell, the end of its console:"
		grep -v '^@@' /tmp/try.log | tail -n 4 | sed "s/^/@@retry-tail \$2 /"
		"\$@" > /tmp/try.log
		n=\$((n + 1))
	done
	cat /tmp/try.log
}
both() {	# both HYPERVISOR: -kernel, SeaBIOS from the disk, another CPU model, split
	:
	$kernel
	$seabios
	$second
	$split
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
for how in kernel seabios $model split split-pc split-smp irqchip-smp irqchip-pc; do
	grep -q "^## kvmini-$how\$" "$out/job.log" || continue
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
# The split boot, on each hypervisor it ran on: what the guest read from
# its disk and how its interrupts came, and what QEMU asked of KVM.
for name in kvmini-split kvmini-split-pc kvmini-split-smp kvmini-irqchip-smp kvmini-irqchip-pc \
	    kvm-split kvm-split-pc kvm-split-smp kvm-irqchip-smp kvm-irqchip-pc; do
	grep -q "^## $name\$" "$out/job.log" || continue
	con=$(sed -n "/^## $name\$/,/^@@time $name /p" "$out/job.log")
	sed -n "s/^@@retry $name: /# $name: /p; s/^@@retry-tail $name /# $name:   /p" "$out/job.log"
	sum=$(sed -n 's/^@@vda md5 \([0-9a-f]*\) .*/\1/p' <<<"$con")
	echo "# $name: the guest's md5 of /dev/vda ${sum:-?}, the image's $vda_md5"
	[ "$sum" = "$vda_md5" ] && r=ok || r=fail
	echo "@@host-$r $name: the guest reads back its virtio-blk disk (/dev/vda's md5 is the image's)"
	# MSI-X: each of the device's vectors, and its request queue's
	# interrupt came (a PCI-MSI line in /proc/interrupts, count above 0).
	sed -n 's/^@@irq /# '"$name"': \/proc\/interrupts: /p' <<<"$con"
	modes=$(sed -n 's/^@@msi [0-9]* //p' <<<"$con" | sort | uniq -c | xargs)
	echo "# $name: the virtio device's vectors (msi_irqs): ${modes:-none}"
	grep -q '^@@msi [0-9]* msix$' <<<"$con" && ! grep -q '^@@msi [0-9]* msi$' <<<"$con" &&
		grep -qE '^@@irq [0-9]+:( +[0-9]+)* +[1-9][0-9]*( +[0-9]+)* +PCI-MSI[^ ]* .*virtio[0-9]+-req' <<<"$con" &&
		r=ok || r=fail
	echo "@@host-$r $name: the virtio-blk interrupts are MSI-X, and they come"
	# ioeventfd: QEMU registered one (KVM_IOEVENTFD; it aborts if that
	# fails) for an address in the device's BARs: the notify address.
	# (Those at port 0 are QEMU's probe of how many KVM takes.)
	grep "^@@qtrace $name kvm_set_ioeventfd_.*assign: 1" "$out/job.log" | grep -v " @0x0 " |
		sed "s/^@@qtrace $name /# $name: QEMU: /" | sort -u || true
	echo "# $name: QEMU: $(grep -c "^@@qtrace $name kvm_irqchip_add_msi_route" "$out/job.log") MSI routes added"
	inbar=""
	for a in $(sed -n "s/^@@qtrace $name kvm_set_ioeventfd_mmio .*@\(0x[0-9a-f]*\) .*assign: 1 .*/\1/p" "$out/job.log"); do
		while read -r _ lo hi; do
			[ $((a)) -ge $((lo)) ] && [ $((a)) -le $((hi)) ] && inbar="$a in [$lo, $hi]"
		done < <(grep '^@@bar ' <<<"$con")
	done
	echo "# $name: the ioeventfd in the device's BARs: ${inbar:-none}"
	ioctls=$(sed -n "s/^@@qioctl $name //p" "$out/job.log" | awk '
		BEGIN {	# the numbers of <linux/kvm.h>
			split("0x4040ae79 IOEVENTFD 0x4020ae76 IRQFD 0x4020aea5 SIGNAL_MSI " \
			      "0x4008ae6a SET_GSI_ROUTING 0xc008ae67 IRQ_LINE_STATUS " \
			      "0x4020ae46 SET_USER_MEMORY_REGION 0x4068aea3 ENABLE_CAP " \
			      "0xae03 CHECK_EXTENSION 0xae41 CREATE_VCPU 0x4010ae67 REGISTER_COALESCED_MMIO " \
			      "0x4010ae68 UNREGISTER_COALESCED_MMIO 0x4030ae7b SET_CLOCK 0x8030ae7c GET_CLOCK " \
			      "0xae47 SET_TSS_ADDR 0x4008ae48 SET_IDENTITY_MAP_ADDR 0x4188aec6 X86_SET_MSR_FILTER " \
			      "0xae60 CREATE_IRQCHIP 0x4040ae77 CREATE_PIT2 0x8070ae9f GET_PIT2 " \
			      "0x4070aea0 SET_PIT2 0xc208ae62 GET_IRQCHIP 0x8208ae63 SET_IRQCHIP", w, " ")
			for (i = 1; i < length(w); i += 2) n[w[i]] = "KVM_" w[i + 1]
		}
		{ printf "%s%s %d", (NR > 1 ? ", " : ""), (($1 in n) ? n[$1] : $1), $2 }')
	echo "# $name: QEMU's VM ioctls: ${ioctls:-none}"
	[ -n "$inbar" ] && [[ "$ioctls" =~ KVM_IOEVENTFD\ [1-9] ]] && r=ok || r=fail
	echo "@@host-$r $name: QEMU hands the virtqueue notify writes to KVM (ioeventfd)"
	# Without KVM_CAP_IRQCHIP, QEMU 7.2 does not ask for the split irqchip
	# at all: it warns "Userspace local APIC is deprecated for KVM", uses
	# its own, and the guest boots and reads its disk all the same (seen
	# on kvmini). The guest gets x2apic only with the kernel's LAPIC.
	grep -q '^@@x2apic yes' <<<"$con" && ! grep -q "Userspace local APIC" <<<"$con" &&
		r=ok || r=fail
	grep "Userspace local APIC" <<<"$con" | sed "s/^/# $name: /" || true
	echo "@@host-$r $name: QEMU's local APIC is the kernel's (no QEMU warning, the guest has x2apic)"
	# QEMU's default: its PIC, IOAPIC and PIT are the hypervisor's.
	if [ "${name#*-irqchip}" != "$name" ]; then
		[[ "$ioctls" =~ KVM_CREATE_IRQCHIP\ 1 ]] && [[ "$ioctls" =~ KVM_CREATE_PIT2\ 1 ]] &&
			r=ok || r=fail
		echo "@@host-$r $name: QEMU's PIC, IOAPIC and PIT are the kernel's (KVM_CREATE_IRQCHIP, KVM_CREATE_PIT2)"
	fi
	if [ "${name%-smp}" != "$name" ]; then
		grep -q '^@@cpus 2$' <<<"$con" && r=ok || r=fail
		echo "@@host-$r $name: the guest has its two CPUs"
	fi
done
awk -v note="$clock_note" -v model="$model" '/^@@time/ { t[$2] = $4 - $3 } END {
	split("kernel seabios " model " split split-pc split-smp irqchip-smp irqchip-pc", how, " ")
	for (i = 1; i <= 8; i++) {
		a = t["kvmini-" how[i]]; b = t["kvm-" how[i]]
		what = "-cpu " how[i] " -kernel"
		if (how[i] == "kernel") what = "-kernel"
		if (how[i] == "seabios") what = "SeaBIOS disk"
		if (how[i] == "split") what = "q35 kernel-irqchip=split virtio-blk -kernel"
		if (how[i] == "split-pc") what = "pc kernel-irqchip=split virtio-blk -kernel"
		if (how[i] == "split-smp") what = "q35 kernel-irqchip=split -smp 2 virtio-blk -kernel"
		if (how[i] == "irqchip-smp") what = "q35 (kernel irqchip) -smp 2 virtio-blk -kernel"
		if (how[i] == "irqchip-pc") what = "pc (kernel irqchip) virtio-blk -kernel"
		if (a && b)
			printf "# QEMU %s boot to the guest shell and poweroff%s: kvmini %.2f s, KVM %.2f s, kvmini/KVM %.2f\n",
			       what, note, a, b, a / b
		else if (b)
			printf "# QEMU %s boot to the guest shell and poweroff%s: kvmini not run, KVM %.2f s\n",
			       what, note, b
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
