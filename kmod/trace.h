/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints, system "kvmini" (tracefs events/kvmini/, perf -e 'kvmini:*',
 * trace-cmd -e kvmini): entry and exit (with the hardware's reason and the
 * guest's RIP), port and MMIO accesses that go to the VMM, injected
 * interrupts, NMIs and exceptions, and nested page faults with the level
 * they mapped. Each is one static branch when off.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kvmini

#if !defined(_KVMINI_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _KVMINI_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(kvmini_entry,
	TP_PROTO(u32 vcpu_id, u64 rip),
	TP_ARGS(vcpu_id, rip),
	TP_STRUCT__entry(
		__field(u32, vcpu_id)
		__field(u64, rip)
	),
	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->rip = rip;
	),
	TP_printk("vcpu %u rip 0x%llx", __entry->vcpu_id, __entry->rip)
);

/*
 * @vmx: the reason is VMX's basic exit reason, else SVM's exit code. Their
 * names (VMX_EXIT_REASONS, SVM_EXIT_REASONS) are needed only where the
 * events are made: trace.c includes asm/vmx.h and asm/svm.h, which the
 * rest may not (asm/vmx.h's REG_* macros would replace kvmini.h's).
 */
TRACE_EVENT(kvmini_exit,
	TP_PROTO(u32 vcpu_id, bool vmx, u32 reason, u64 rip),
	TP_ARGS(vcpu_id, vmx, reason, rip),
	TP_STRUCT__entry(
		__field(u32, vcpu_id)
		__field(bool, vmx)
		__field(u32, reason)
		__field(u64, rip)
	),
	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->vmx = vmx;
		__entry->reason = reason;
		__entry->rip = rip;
	),
	TP_printk("vcpu %u reason %s rip 0x%llx", __entry->vcpu_id,
		  __entry->vmx ? __print_symbolic(__entry->reason, VMX_EXIT_REASONS) :
				 __print_symbolic(__entry->reason, SVM_EXIT_REASONS),
		  __entry->rip)
);

TRACE_EVENT(kvmini_pio,
	TP_PROTO(u32 vcpu_id, bool in, u16 port, u8 size, u32 count),
	TP_ARGS(vcpu_id, in, port, size, count),
	TP_STRUCT__entry(
		__field(u32, vcpu_id)
		__field(bool, in)
		__field(u16, port)
		__field(u8, size)
		__field(u32, count)
	),
	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->in = in;
		__entry->port = port;
		__entry->size = size;
		__entry->count = count;
	),
	TP_printk("vcpu %u pio_%s port 0x%x size %u count %u", __entry->vcpu_id,
		  __entry->in ? "read" : "write", __entry->port, __entry->size,
		  __entry->count)
);

TRACE_EVENT(kvmini_mmio,
	TP_PROTO(u32 vcpu_id, bool write, u64 gpa, u32 len, u64 val),
	TP_ARGS(vcpu_id, write, gpa, len, val),
	TP_STRUCT__entry(
		__field(u32, vcpu_id)
		__field(bool, write)
		__field(u64, gpa)
		__field(u32, len)
		__field(u64, val)
	),
	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->write = write;
		__entry->gpa = gpa;
		__entry->len = len;
		__entry->val = val;
	),
	TP_printk("vcpu %u mmio %s len %u gpa 0x%llx val 0x%llx", __entry->vcpu_id,
		  __entry->write ? "write" : "read", __entry->len, __entry->gpa,
		  __entry->val)
);

/* An external interrupt (@vector) or, with @nmi, an NMI went in. */
TRACE_EVENT(kvmini_inj_irq,
	TP_PROTO(u32 vcpu_id, bool nmi, u8 vector),
	TP_ARGS(vcpu_id, nmi, vector),
	TP_STRUCT__entry(
		__field(u32, vcpu_id)
		__field(bool, nmi)
		__field(u8, vector)
	),
	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->nmi = nmi;
		__entry->vector = vector;
	),
	TP_printk("vcpu %u %s vector %u", __entry->vcpu_id,
		  __entry->nmi ? "nmi" : "irq", __entry->vector)
);

TRACE_EVENT(kvmini_inj_exception,
	TP_PROTO(u32 vcpu_id, u8 vector, bool has_error, u32 error),
	TP_ARGS(vcpu_id, vector, has_error, error),
	TP_STRUCT__entry(
		__field(u32, vcpu_id)
		__field(u8, vector)
		__field(bool, has_error)
		__field(u32, error)
	),
	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->vector = vector;
		__entry->has_error = has_error;
		__entry->error = error;
	),
	TP_printk("vcpu %u vector %u%s 0x%x", __entry->vcpu_id, __entry->vector,
		  __entry->has_error ? " error" : "", __entry->error)
);

/*
 * A nested page fault: @level is what got mapped (1: 4 KiB, 2: 2 MiB,
 * 3: 1 GiB; 0: nothing, e.g. a device's), @r the result (0, or -errno).
 */
TRACE_EVENT(kvmini_npf,
	TP_PROTO(u32 vcpu_id, u64 gpa, bool write, bool fetch, int level, int r),
	TP_ARGS(vcpu_id, gpa, write, fetch, level, r),
	TP_STRUCT__entry(
		__field(u32, vcpu_id)
		__field(u64, gpa)
		__field(bool, write)
		__field(bool, fetch)
		__field(int, level)
		__field(int, r)
	),
	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->gpa = gpa;
		__entry->write = write;
		__entry->fetch = fetch;
		__entry->level = level;
		__entry->r = r;
	),
	TP_printk("vcpu %u gpa 0x%llx %s level %d r %d", __entry->vcpu_id, __entry->gpa,
		  __entry->fetch ? "fetch" : __entry->write ? "write" : "read",
		  __entry->level, __entry->r)
);

#endif /* _KVMINI_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
