// SPDX-License-Identifier: GPL-2.0
/*
 * kvmini-vmm: start the Linux guests of one device-tree manifest side by
 * side on /dev/kvmini, each with its own vCPUs (threads pinned to the host
 * CPUs the manifest gives it), memory and console.
 *
 *   kvmini-vmm [-d DEVICE] MANIFEST.dtb    run the guests
 *   kvmini-vmm --check MANIFEST.dtb        only validate the manifest
 *
 * A guest that powers off (ACPI S5) stops every guest, or only itself with
 * on-poweroff = "stop-self"; one that resets or crashes (8042 or ACPI
 * reset, triple fault, an exit the VMM cannot handle) stops alone, and the
 * others run on. SIGINT or SIGTERM stops them all. At the end one line per
 * guest says how it ended. Exit status: 0 if every guest powered off or was
 * stopped, 3 if one reset or crashed, 1 if the VMM could not start them,
 * 2 for a bad command line or manifest (one line naming node and property).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "vmm.h"

pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
int kvm_dev_fd = -1;
int vcpu_mmap_size;

static int notify_fd = -1;		/* eventfd: some guest has ended */
static struct manifest mf;
static struct guest guests[MF_MAX_GUESTS];
static bool reaped[MF_MAX_GUESTS];

static const char *const end_names[] = {
	[END_RUNNING] = "running", [END_POWEROFF] = "powered off",
	[END_STOPPED] = "stopped", [END_RESET] = "reset",
	[END_TRIPLE_FAULT] = "crashed", [END_ERROR] = "failed",
};

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("kvmini-vmm: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

void guest_end(struct guest *g, enum guest_end why, const char *fmt, ...)
{
	int running = END_RUNNING;
	va_list ap;

	if (!atomic_compare_exchange_strong(&g->end, &running, why))
		return;			/* it had already ended: the first reason stays */
	va_start(ap, fmt);
	vsnprintf(g->end_detail, sizeof(g->end_detail), fmt, ap);
	va_end(ap);
	g->ended_at = now();
	guest_kick(g);
	if (write(notify_fd, &(uint64_t){ 1 }, 8) < 0)
		abort();		/* an eventfd write cannot fail here */
}

/* A pty console: what is typed on its other side goes to the UART. */
static void *console_thread(void *arg)
{
	struct guest *g = arg;
	int fd = g->uart.out_fd;

	while (atomic_load(&g->end) == END_RUNNING) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint8_t buf[16];
		unsigned int room;
		ssize_t n;

		if (poll(&p, 1, 200) <= 0 || !(p.revents & POLLIN))
			continue;
		pthread_mutex_lock(&g->dev_lock);
		room = uart_rx_room(g);
		pthread_mutex_unlock(&g->dev_lock);
		if (!room) {		/* the guest has not read the FIFO yet */
			usleep(10000);
			continue;
		}
		n = read(fd, buf, room < sizeof(buf) ? room : sizeof(buf));
		if (n <= 0)
			continue;
		pthread_mutex_lock(&g->dev_lock);
		uart_rx_push(g, buf, n);
		pthread_mutex_unlock(&g->dev_lock);
	}
	return NULL;
}

static int open_console(struct guest *g, const char *dir, char *err, size_t errlen)
{
	const struct mf_guest *m = g->mf;
	char path[8192];
	struct termios tio;
	int fd;

	switch (m->console) {
	case MF_CONSOLE_STDOUT:
		uart_init(g, STDOUT_FILENO, m->console_prefix);
		return 0;
	case MF_CONSOLE_FILE:
		snprintf(path, sizeof(path), "%s%s", m->console_path[0] == '/' ? "" : dir,
			 m->console_path);
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0) {
			snprintf(err, errlen, "console-path %.400s: %s", path, strerror(errno));
			return -1;
		}
		uart_init(g, fd, NULL);
		return 0;
	case MF_CONSOLE_PTY:
		fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0 || grantpt(fd) || unlockpt(fd) ||
		    ptsname_r(fd, g->pty_name, sizeof(g->pty_name))) {
			snprintf(err, errlen, "a pty for the console: %s", strerror(errno));
			return -1;
		}
		/* Raw, so that the terminal on the other side sees the guest's bytes. */
		if (tcgetattr(fd, &tio) == 0) {
			cfmakeraw(&tio);
			tcsetattr(fd, TCSANOW, &tio);
		}
		uart_init(g, fd, NULL);
		return 0;
	}
	return -1;
}

static void stop_all(const char *why)
{
	for (unsigned int i = 0; i < mf.nguests; i++)
		guest_end(&guests[i], END_STOPPED, "%s", why);
}

/* Join the guests that have ended; say how each ended. */
static unsigned int reap(void)
{
	unsigned int left = 0;

	for (unsigned int i = 0; i < mf.nguests; i++) {
		struct guest *g = &guests[i];
		int end = atomic_load(&g->end);

		if (reaped[i])
			continue;
		if (end == END_RUNNING) {
			left++;
			continue;
		}
		guest_join(g);
		if (g->console_started)
			pthread_join(g->console_thread, NULL);
		pthread_mutex_lock(&g->dev_lock);
		uart_flush(g);
		pthread_mutex_unlock(&g->dev_lock);
		reaped[i] = true;
		pthread_mutex_lock(&out_lock);
		printf("kvmini-vmm: %s: %s after %.1f s: %s\n", g->mf->name, end_names[end],
		       g->ended_at - g->started_at, g->end_detail);
		fflush(stdout);
		pthread_mutex_unlock(&out_lock);
		if (end == END_POWEROFF && g->mf->on_poweroff == MF_POWEROFF_STOP_ALL) {
			char why[80];

			snprintf(why, sizeof(why), "%s powered off", g->mf->name);
			stop_all(why);
		}
	}
	return left;
}

static void usage(void)
{
	fprintf(stderr, "usage: kvmini-vmm [-d DEVICE] MANIFEST.dtb\n"
			"       kvmini-vmm --check MANIFEST.dtb\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *dev = "/dev/kvmini", *path;
	char err[512], dir[4096];
	bool check = false;
	sigset_t mask;
	void *blob;
	int sfd, status = 0;

	for (; argc > 2; argc--, argv++) {
		if (!strcmp(argv[1], "--check"))
			check = true;
		else if (!strcmp(argv[1], "-d") && argc > 3)
			dev = (++argv)[1], argc--;
		else
			usage();
	}
	if (argc != 2 || argv[1][0] == '-')
		usage();
	path = argv[1];
	if (manifest_load(path, &mf, &blob, err, sizeof(err))) {
		fprintf(stderr, "kvmini-vmm: %s: %s\n", path, err);
		return 2;
	}
	if (check) {
		printf("kvmini-vmm: %s: %u guest%s, valid\n", path, mf.nguests,
		       mf.nguests == 1 ? "" : "s");
		return 0;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	snprintf(dir, sizeof(dir), "%s/", dirname(dir));

	/* Every host CPU a vCPU is pinned to must be one we may run on. */
	cpu_set_t allowed;
	if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0)
		die("sched_getaffinity: %s", strerror(errno));
	for (unsigned int i = 0; i < mf.nguests; i++)
		for (unsigned int c = 0; mf.guest[i].pinned && c < mf.guest[i].vcpus; c++)
			if (mf.guest[i].cpu[c] >= CPU_SETSIZE || !CPU_ISSET(mf.guest[i].cpu[c], &allowed)) {
				fprintf(stderr, "kvmini-vmm: %s: /guests/%s: cpu-affinity: host CPU %u "
					"is not online or not ours\n", path, mf.guest[i].name,
					mf.guest[i].cpu[c]);
				return 2;
			}

	kvm_dev_fd = open(dev, O_RDWR | O_CLOEXEC);
	if (kvm_dev_fd < 0)
		die("%s: %s", dev, strerror(errno));
	if (ioctl(kvm_dev_fd, KVMINI_GET_API_VERSION, 0) != 12)
		die("%s: not API version 12", dev);
	vcpu_mmap_size = ioctl(kvm_dev_fd, KVMINI_GET_VCPU_MMAP_SIZE, 0);
	if (vcpu_mmap_size <= 0)
		die("%s: KVMINI_GET_VCPU_MMAP_SIZE: %s", dev, strerror(errno));

	/* Signals: SIGINT/SIGTERM through a signalfd; vCPU threads unblock the kick. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigdelset(&mask, SIGUSR1);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	notify_fd = eventfd(0, EFD_CLOEXEC);
	if (sfd < 0 || notify_fd < 0)
		die("signalfd/eventfd: %s", strerror(errno));

	/* Create every guest before starting any: a setup error starts none. */
	for (unsigned int i = 0; i < mf.nguests; i++) {
		struct guest *g = &guests[i];

		if (guest_create(g, &mf.guest[i], dir, err, sizeof(err)) ||
		    open_console(g, dir, err, sizeof(err)))
			die("%s: %s", mf.guest[i].name, err);
		if (g->pty_name[0])
			printf("kvmini-vmm: %s: console on %s\n", mf.guest[i].name, g->pty_name);
	}
	for (unsigned int i = 0; i < mf.nguests; i++) {
		struct guest *g = &guests[i];

		printf("kvmini-vmm: %s: %u vCPU%s, %u MiB, %s\n", g->mf->name, g->mf->vcpus,
		       g->mf->vcpus == 1 ? "" : "s", g->mf->memory_mib, g->mf->kernel);
		fflush(stdout);
		if (guest_start(g, err, sizeof(err))) {
			fprintf(stderr, "kvmini-vmm: %s: %s\n", g->mf->name, err);
			status = 1;
			stop_all("another guest could not start");
			break;
		}
		if (g->mf->console == MF_CONSOLE_PTY) {
			if (pthread_create(&g->console_thread, NULL, console_thread, g) == 0)
				g->console_started = true;
		}
	}

	while (reap()) {
		struct pollfd p[2] = { { .fd = sfd, .events = POLLIN },
				       { .fd = notify_fd, .events = POLLIN } };
		struct signalfd_siginfo si;
		uint64_t n;

		if (poll(p, 2, -1) < 0)
			continue;
		if ((p[0].revents & POLLIN) && read(sfd, &si, sizeof(si)) == sizeof(si))
			stop_all(si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
		if ((p[1].revents & POLLIN) && read(notify_fd, &n, 8) < 0)
			die("eventfd: %s", strerror(errno));
	}

	for (unsigned int i = 0; i < mf.nguests; i++) {
		int end = atomic_load(&guests[i].end);

		if (end == END_RESET || end == END_TRIPLE_FAULT || end == END_ERROR)
			status = status ? status : 3;
		if (guests[i].uart.out_fd > STDOUT_FILENO)
			close(guests[i].uart.out_fd);
		guest_destroy(&guests[i]);
	}
	free(blob);
	return status;
}
