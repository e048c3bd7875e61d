#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot Debian's distro kernel in an emulated host and run one job in it.
#
#   run.sh [options] JOB_DIR
#     --host amd|amd-novirt|intel
#                             amd: QEMU TCG, -cpu EPYC (SVM + nested paging);
#                             amd-novirt: the same CPU without SVM;
#                             intel: Bochs, corei7_skylake_x (VMX, EPT,
#                             unrestricted guest), booted from an isolinux
#                             ISO (needs bochs bochsbios vgabios xorriso
#                             isolinux syslinux-common; the kernel is
#                             entered uncompressed by pvh/pvhboot.c: ~30 s
#                             for a trivial job)
#     --kver VER              distro kernel version (default: the one
#                             linux-image-amd64 depends on)
#     --modules "m1 m2"       distro modules to load first (deps resolved here)
#     --timeout SECONDS       whole boot + job (default 600)
#     --cpus N                host CPUs (default: amd 2, intel 1)
#     --out DIR               where logs go (default: a new temp dir)
#     --print-kver            print the distro kernel version and exit
#     --hostroot              share this machine's / read-only over virtio 9p,
#                             mounted at /host in the emulated host (for jobs
#                             that run this machine's programs, e.g. QEMU:
#                             chroot /host, with /dev, /proc, /sys, /tmp)
#
# JOB_DIR is copied to /job in the host's initramfs (busybox userland, so
# programs in it must be static) and /job/run runs there as root, with
# its output on the host's second serial port, shown here live.
#
# Output files in --out: job.log (the job's output), console.log (the
# host's kernel console), dmesg.log (the host's whole kernel log at the end),
# starts.log (this machine's clock, in seconds, at each "# selftest:" line
# of the job's output: run_tests.sh's start of a program);
# intel also keeps vmlinux-VER there, the extracted kernel, for the next run.
# Exit status: the job's, or 124 if the host timed out or died, or 125 if
# the host's kernel log shows a problem (then its tail is printed).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
host=amd kver="" modules="" timeout=600 out="" hostroot="" cpus=""

distro_kver() {
	dpkg-query -W -f='${Depends}\n' linux-image-amd64 2>/dev/null |
		sed -n 's/.*linux-image-\([0-9][^ ,]*-amd64\).*/\1/p' | head -n1
}

# The kernel inside a bzImage: the setup header says where the compressed
# payload starts (payload_offset bytes into the protected-mode code, which
# follows 1 + setup_sects sectors). Debian's is XZ.
extract_vmlinux() {	# extract_vmlinux BZIMAGE OUT; fails if not XZ
	local sects payload
	sects=$(od -An -tu1 -j 0x1f1 -N1 "$1")
	payload=$(( (sects + 1) * 512 + $(od -An -tu4 -j 0x248 -N4 "$1") ))
	[ "$(od -An -tx1 -j "$payload" -N6 "$1")" = " fd 37 7a 58 5a 00" ] || return 1
	# xz stops after the stream (then comes the size that the kernel's own
	# decompressor reads), so tail's SIGPIPE must not count.
	xz -dc --single-stream < <(tail -c +$((payload + 1)) "$1") > "$2.tmp" && mv "$2.tmp" "$2"
}

while [ $# -gt 0 ]; do
	case "$1" in
	--host) host=$2; shift 2 ;;
	--kver) kver=$2; shift 2 ;;
	--modules) modules=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--cpus) cpus=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--print-kver) distro_kver; exit 0 ;;
	--hostroot) hostroot=1; shift ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
job=${1:?usage: run.sh [options] JOB_DIR}
kver=${kver:-$(distro_kver)}
kernel=/boot/vmlinuz-$kver
[ -r "$kernel" ] || { echo "run.sh: no distro kernel $kernel (make check installs linux-image-amd64)" >&2; exit 2; }
out=${out:-$(mktemp -d /tmp/kvmini-host.XXXXXX)}
mkdir -p "$out"

case "$host" in
amd) cpu=EPYC ;;
amd-novirt) cpu=EPYC,-svm ;;
intel) cpu=corei7_skylake_x ;;
*) echo "run.sh: unknown host '$host'" >&2; exit 2 ;;
esac

# The 9p share needs these (virtio PCI transport, then 9p over it).
[ -n "$hostroot" ] && modules="$modules virtio_pci 9pnet_virtio 9p"
virtfs=()
[ -n "$hostroot" ] && virtfs=(-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap)

# --- initramfs: busybox, distro modules in load order, the job, /init ---
root=$out/root
rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,modules}
cp /bin/busybox "$root/bin/busybox"
cp -r "$job" "$root/job"
: > "$root/modules/order"
for m in $modules; do
	modprobe -S "$kver" --show-depends "$m" | while read -r kind path _; do
		[ "$kind" = insmod ] || continue
		name=$(basename "$path")
		grep -qx "$name" "$root/modules/order" && continue
		case "$path" in
		*.xz) xz -dc "$path" > "$root/modules/${name%.xz}"; name=${name%.xz} ;;
		*) cp "$path" "$root/modules/$name" ;;
		esac
		echo "$name" >> "$root/modules/order"
	done
done
cat > "$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t debugfs debugfs /sys/kernel/debug
for m in $(cat /modules/order); do insmod /modules/$m || echo "init: insmod $m failed"; done
if grep -q hostroot /sys/bus/virtio/drivers/9pnet_virtio/*/mount_tag 2>/dev/null; then
	mkdir -p /host
	mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /host &&
	mount -t proc proc /host/proc && mount -t sysfs sys /host/sys &&
	mount -t devtmpfs dev /host/dev && mount -t tmpfs tmp /host/tmp
fi
echo "kvmini-host: the job starts" > /dev/kmsg
exec > /dev/ttyS1 2>&1
stty -F /dev/ttyS1 -onlcr 2>/dev/null
echo "@@KVMINI-JOB-BEGIN@@"
cd /job && sh ./run
echo "@@KVMINI-JOB-END rc=$?@@"
echo "@@KVMINI-DMESG-BEGIN@@"
dmesg
echo "@@KVMINI-DMESG-END@@"
# Let the UART drain (slow under Bochs): until its tx count stops moving.
prev=
for i in $(seq 150); do
	cur=$(grep '^1:' /proc/tty/driver/serial)
	[ "$cur" = "$prev" ] && break
	prev=$cur
	sleep 0.2
done
sync
poweroff -f
EOF
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet) > "$out/initrd.cpio"

# --- boot ---
: > "$out/serial1.log"
: > "$out/console.log"
start=$(date +%s)
append="console=ttyS0 panic=-1 oops=panic quiet loglevel=5 tsc=reliable"
# The host kernel's speculation mitigations: on (its defaults) by default,
# so that kvmini's entry/exit hygiene runs as it would on a distro host;
# KVMINI_HOST_MITIGATIONS=off boots with mitigations=off.
[ "${KVMINI_HOST_MITIGATIONS:-on}" = off ] && append="$append mitigations=off"
if [ "$host" = intel ]; then
	# Bochs: an isolinux CD; COM1 is the console, COM2 the job. Bochs
	# exits 1 even after a clean power-off.
	iso=$out/iso bios=/usr/lib/syslinux/modules/bios
	rm -rf "$iso"
	mkdir -p "$iso/isolinux"
	cp /usr/lib/ISOLINUX/isolinux.bin "$bios/ldlinux.c32" "$iso/isolinux/"
	cp "$out/initrd.cpio" "$iso/isolinux/initrd"
	# initcall trace_eval_init alone costs seconds under Bochs.
	args="$append initcall_blacklist=trace_eval_init"
	# More than one CPU under Bochs 2.7: with MWAIT idle and tickless
	# timers, sleeps in the host never ended (measured); HLT idle and a
	# periodic tick keep its time going.
	[ "${cpus:-1}" -gt 1 ] && args="$args idle=halt nohz=off highres=off"
	# The bzImage would spend a minute of emulated time decompressing
	# itself, so boot the uncompressed kernel (kept while the bzImage's
	# checksum stays the same: extracting it takes ~1 s). syslinux's
	# mboot.c32 starts pvh/pvhboot.c, a multiboot kernel, with vmlinux and
	# the initramfs as modules, and pvhboot enters vmlinux at its PVH entry.
	vmlinux=$out/vmlinux-$kver sum=$(cksum < "$kernel")
	if [ "$(cat "$vmlinux.cksum" 2> /dev/null)" != "$sum" ]; then
		rm -f "$vmlinux" "$vmlinux.cksum"
		extract_vmlinux "$kernel" "$vmlinux" && echo "$sum" > "$vmlinux.cksum" ||
			rm -f "$vmlinux" "$vmlinux.tmp"
	fi
	if [ -f "$vmlinux" ] && readelf -nW "$vmlinux" | grep 'Xen.*(0x00000012)' > /dev/null; then
		cp "$bios/mboot.c32" "$bios/libcom32.c32" "$iso/isolinux/"
		gcc -m32 -march=i686 -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
			-fno-asynchronous-unwind-tables -mgeneral-regs-only -O2 -Wall -Wextra -Werror \
			-nostdlib -static -no-pie -Wl,--build-id=none,-n,-s,--no-warn-rwx-segments \
			-T "$here/pvh/pvhboot.ld" "$here/pvh/start.S" "$here/pvh/pvhboot.c" \
			-o "$iso/isolinux/pvhboot.elf"
		ln -f "$vmlinux" "$iso/isolinux/vmlinux"
		file=mboot.c32 args="pvhboot.elf $args --- vmlinux --- initrd"
	else
		echo "run.sh: $kernel: no XZ payload with a PVH entry; booting the bzImage (a minute slower)" >&2
		cp "$kernel" "$iso/isolinux/vmlinuz"
		file=vmlinuz args="initrd=initrd $args"
	fi
	printf 'DEFAULT l\nPROMPT 0\nLABEL l\n KERNEL %s\n APPEND %s\n' "$file" "$args" \
		> "$iso/isolinux/isolinux.cfg"
	xorriso -as mkisofs -quiet -o "$out/boot.iso" -b isolinux/isolinux.bin \
		-c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table "$iso" 2> /dev/null
	# No sound: with only what make check installs (no ALSA config),
	# Bochs 2.7's default sound driver aborted it at start
	# ("buffer overflow detected") on a fresh machine.
	cat > "$out/bochsrc" <<BXRC
megs: 2048
cpu: model=$cpu, count=${cpus:-1}, ips=100000000
clock: sync=none, time0=local
pci: enabled=1, chipset=i440fx
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
ata0-master: type=cdrom, path=$out/boot.iso, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=$out/console.log
com2: enabled=1, mode=file, dev=$out/serial1.log
display_library: rfb, options="timeout=0"
log: $out/bochs.log
sound: driver=dummy
BXRC
	echo c > "$out/bochs.cmds"
	# KVMINI_BOCHS_DEBUG=1: to look inside a stuck host, stop Bochs with
	# SIGINT and write debugger commands (r, creg, u /10...) into
	# $out/bochs.in; the answers go to $out/qemu.log.
	dbg_in=/dev/null
	if [ -n "${KVMINI_BOCHS_DEBUG:-}" ]; then
		dbg_in=$out/bochs.in
		rm -f "$dbg_in"
		mkfifo "$dbg_in"
		sleep "$timeout" > "$dbg_in" &	# a writer that keeps it open
	fi
	timeout -k 10 "$timeout" bochs -q -f "$out/bochsrc" -rc "$out/bochs.cmds" \
		< "$dbg_in" > "$out/qemu.log" 2>&1 &
else
# Single-threaded TCG: with MTTCG the host froze now and then (see notes).
timeout -k 10 "$timeout" qemu-system-x86_64 -accel tcg,thread=single \
	-cpu "$cpu" -smp "${cpus:-2}" -m 2048 -nographic -no-reboot -monitor none -net none "${virtfs[@]}" \
	-kernel "$kernel" -initrd "$out/initrd.cpio" \
	-append "$append" \
	-serial "file:$out/console.log" -serial "file:$out/serial1.log" \
	< /dev/null > "$out/qemu.log" 2>&1 &
fi
qemu=$!
# Show the job's output live; tail ends by itself when QEMU does. Each
# program's start by this machine's clock (the emulated hosts' own clocks
# lag it, Bochs's by far).
: > "$out/starts.log"
tail -n +1 -f --pid=$qemu "$out/serial1.log" |
	sed -u -n 's/\r$//; /@@KVMINI-JOB-BEGIN@@/,/@@KVMINI-JOB-END/{/@@KVMINI/!p}' |
	while IFS= read -r l; do
		case $l in "# selftest: "*) echo "$(date +%s) ${l#\# selftest: }" >> "$out/starts.log" ;; esac
		printf '%s\n' "$l"
	done
qemu_rc=0
wait $qemu || qemu_rc=$?
echo "# host: $host, kernel $kver, $(($(date +%s) - start)) s"

log=$out/serial1.log
sed -i 's/\r$//' "$log"
sed -n '/@@KVMINI-JOB-BEGIN@@/,/@@KVMINI-JOB-END/{/@@KVMINI/!p}' "$log" > "$out/job.log"
sed -n '/@@KVMINI-DMESG-BEGIN@@/,/@@KVMINI-DMESG-END@@/{/@@KVMINI/!p}' "$log" > "$out/dmesg.log"
rc=$(sed -n 's/^@@KVMINI-JOB-END rc=\([0-9]*\)@@$/\1/p' "$log" | tail -n1)

# --- the host's kernel log must be clean ---
# The SRSO line is a CPU advisory printed at every boot on EPYC, not a warning.
bad='Oops|\bBUG\b|WARNING:|general protection|refcount_t|list_add corruption|list_del corruption|soft lockup|hard LOCKUP|rcu.*stall|blocked for more than|Call Trace|cut here|Kernel panic'
# Bochs 2.7's Skylake model makes the kernel WARN about its XSAVE layout
# at boot (fpu__init_system_xstate), long before the job: on that host,
# only what the kernel logs once the job starts counts.
logs() {
	if [ "$host" = intel ]; then
		sed -n '/kvmini-host: the job starts/,$p' "$out/dmesg.log"
	else
		cat "$out/dmesg.log" "$out/console.log"
	fi
}
problems=$(logs | grep -Ev 'Speculative Return Stack Overflow' | grep -E "$bad" || true)
grep -q '^@@KVMINI-DMESG-END@@' "$log" ||
	problems="the host's kernel log came back incomplete${problems:+; }$problems"

if [ -z "$rc" ]; then
	echo "# host: the job did not finish (qemu exit $qemu_rc; timeout ${timeout}s); console tail:"
	tail -n 40 "$out/console.log" | sed 's/^/#   /'
	tail -n 5 "$out/qemu.log" | sed 's/^/#   qemu: /'
	exit 124
fi
if [ -n "$problems" ]; then
	echo "# host: kernel log shows problems:"
	echo "$problems" | head -n 20 | sed 's/^/#   /'
	echo "# host: kernel log tail:"
	tail -n 60 "$out/dmesg.log" | sed 's/^/#   /'
	exit 125
fi
exit "$rc"
