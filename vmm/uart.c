// SPDX-License-Identifier: GPL-2.0
/*
 * A 16550A UART on COM1, enough for Linux's 8250 driver: its probe (scratch
 * register, loopback, FIFO), the transmitter-empty and received-data
 * interrupts on IRQ 4, and the divisor latch (kept, never used: output is
 * instant). Callers hold the guest's dev_lock.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "vmm.h"

/* Registers (offsets from the base port) and their bits. */
#define UART_RBR_THR	0		/* DLL when LCR.DLAB */
#define UART_IER	1		/* DLM when LCR.DLAB */
#define UART_IIR_FCR	2
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_MSR	6
#define UART_SCR	7

#define IER_RDI		0x01		/* received data available */
#define IER_THRI	0x02		/* transmitter holding register empty */
#define IIR_NO_INT	0x01
#define IIR_THRI	0x02
#define IIR_RDI		0x04
#define IIR_FIFO	0xc0		/* FIFOs enabled */
#define FCR_ENABLE	0x01
#define FCR_CLEAR_RX	0x02
#define LCR_DLAB	0x80
#define MCR_DTR		0x01
#define MCR_RTS		0x02
#define MCR_OUT1	0x04
#define MCR_OUT2	0x08
#define MCR_LOOP	0x10
#define LSR_DR		0x01
#define LSR_THRE	0x20
#define LSR_TEMT	0x40
#define MSR_CTS		0x10
#define MSR_DSR		0x20
#define MSR_RI		0x40
#define MSR_DCD		0x80

static void write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t r = write(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)		/* a pty nobody reads: the bytes are lost, as on a wire */
			return;
		p += r;
		n -= r;
	}
}

/* The interrupt the IIR would report now, by the 16550's priorities. */
static uint8_t uart_pending(struct uart *u)
{
	if ((u->ier & IER_RDI) && u->rx_len)
		return IIR_RDI;
	if ((u->ier & IER_THRI) && u->iir_thre)
		return IIR_THRI;
	return IIR_NO_INT;
}

static void uart_update_irq(struct guest *g)
{
	struct uart *u = &g->uart;
	/* OUT2 gates the interrupt onto the ISA bus, as on a PC. */
	bool level = uart_pending(u) != IIR_NO_INT && (u->mcr & MCR_OUT2);

	if (level != u->irq_level) {
		u->irq_level = level;
		set_irq_line(g, GSI_COM1, level);
	}
}

void uart_init(struct guest *g, int out_fd, const char *prefix)
{
	memset(&g->uart, 0, sizeof(g->uart));
	g->uart.out_fd = out_fd;
	g->uart.prefix = prefix;
	g->uart.dll = 12;		/* 9600 baud, what a BIOS leaves */
}

static void uart_emit(struct guest *g, uint8_t c)
{
	struct uart *u = &g->uart;

	if (!u->prefix) {
		write_all(u->out_fd, &c, 1);
		return;
	}
	if (c == '\r')
		return;
	if (c != '\n' && u->line_len < sizeof(u->line) - 1) {
		u->line[u->line_len++] = c;
		return;
	}
	if (c != '\n')		/* a long line: cut it here, keep the byte */
		u->line[u->line_len++] = c;
	uart_flush(g);
}

void uart_flush(struct guest *g)
{
	struct uart *u = &g->uart;
	char buf[sizeof(u->line) + 80];
	size_t n;

	if (!u->prefix || !u->line_len)
		return;
	n = strlen(u->prefix);
	memcpy(buf, u->prefix, n);
	memcpy(buf + n, u->line, u->line_len);
	n += u->line_len;
	buf[n++] = '\n';
	u->line_len = 0;
	pthread_mutex_lock(&out_lock);
	write_all(u->out_fd, buf, n);
	pthread_mutex_unlock(&out_lock);
}

uint8_t uart_in(struct guest *g, unsigned int reg)
{
	struct uart *u = &g->uart;
	uint8_t v = 0;

	switch (reg) {
	case UART_RBR_THR:
		if (u->lcr & LCR_DLAB)
			return u->dll;
		if (u->rx_len) {
			v = u->rx[u->rx_head];
			u->rx_head = (u->rx_head + 1) % sizeof(u->rx);
			u->rx_len--;
		}
		break;
	case UART_IER:
		return (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
	case UART_IIR_FCR:
		v = uart_pending(u);
		if (v == IIR_THRI)	/* reading the IIR acknowledges THRE */
			u->iir_thre = 0;
		if (u->fcr & FCR_ENABLE)
			v |= IIR_FIFO;
		break;
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		return LSR_THRE | LSR_TEMT | (u->rx_len ? LSR_DR : 0);
	case UART_MSR:
		if (u->mcr & MCR_LOOP)	/* the outputs looped back to the inputs */
			return (u->mcr & MCR_RTS ? MSR_CTS : 0) | (u->mcr & MCR_DTR ? MSR_DSR : 0) |
			       (u->mcr & MCR_OUT1 ? MSR_RI : 0) | (u->mcr & MCR_OUT2 ? MSR_DCD : 0);
		return MSR_DCD | MSR_DSR | MSR_CTS;
	case UART_SCR:
		return u->scr;
	}
	uart_update_irq(g);
	return v;
}

void uart_out(struct guest *g, unsigned int reg, uint8_t val)
{
	struct uart *u = &g->uart;

	switch (reg) {
	case UART_RBR_THR:
		if (u->lcr & LCR_DLAB) {
			u->dll = val;
			return;
		}
		if (u->mcr & MCR_LOOP)
			uart_rx_push(g, &val, 1);
		else
			uart_emit(g, val);
		u->iir_thre = 1;	/* sent at once: the holding register is empty again */
		break;
	case UART_IER:
		if (u->lcr & LCR_DLAB) {
			u->dlm = val;
			return;
		}
		/* Enabling THRI with the holding register empty interrupts at once. */
		if ((val & IER_THRI) && !(u->ier & IER_THRI))
			u->iir_thre = 1;
		u->ier = val & 0x0f;
		break;
	case UART_IIR_FCR:
		u->fcr = val & (FCR_ENABLE | 0xc0);
		if (val & FCR_CLEAR_RX)
			u->rx_len = 0;
		break;
	case UART_LCR:
		u->lcr = val;
		return;
	case UART_MCR:
		u->mcr = val & 0x1f;
		break;
	case UART_SCR:
		u->scr = val;
		return;
	default:		/* LSR, MSR: read-only */
		return;
	}
	uart_update_irq(g);
}

unsigned int uart_rx_room(struct guest *g)
{
	return sizeof(g->uart.rx) - g->uart.rx_len;
}

void uart_rx_push(struct guest *g, const uint8_t *buf, unsigned int n)
{
	struct uart *u = &g->uart;

	for (unsigned int i = 0; i < n && u->rx_len < sizeof(u->rx); i++)
		u->rx[(u->rx_head + u->rx_len++) % sizeof(u->rx)] = buf[i];
	uart_update_irq(g);
}
