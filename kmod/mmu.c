// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory: memory slots, the nested page tables built from them on
 * demand, and copying to/from guest memory by GPA or by guest virtual
 * address.
 *
 * Slots. A slot maps guest frames [base_gfn, base_gfn + npages) onto the
 * VMM's memory at userspace_addr; slots never change, an update replaces
 * one. Sizes and addresses are checked as KVM checks them (at most 2^31 - 1
 * pages, below the host's MAXPHYADDR). Two indexes, both written only
 * under vm->lock:
 *   - gfn_tree, a maple tree from gfn range to slot: lookups by gfn in
 *     O(log n) under RCU, and the overlap check. Faults look here.
 *   - slots, an xarray from slot id to slot. It holds every slot that may
 *     have nested mappings, so the MMU notifier walks it (under RCU): a
 *     slot enters it before gfn_tree (before any fault can map it) and
 *     leaves it only after it left gfn_tree and its mappings were zapped.
 * A slot that was in either index (replaced, deleted, or backed out after
 * an allocation failed) is freed after a grace period (kfree_rcu), so RCU
 * readers may keep using it until they leave the read section; what a
 * reader needs after that it copies out first. Its dirty bitmap, up to
 * 256 MiB, goes at once (slot_free: only mmu_lock holders touch bitmaps),
 * not seconds later with the batches of kfree_rcu. Only VM destruction,
 * with no reader left, frees slots at once.
 *
 * Dirty logging (KVMINI_MEM_LOG_DIRTY_PAGES): such a slot's pages are only
 * ever mapped read-only until a write fault, which sets the page's bit as
 * it maps the page writable, under mmu_lock; a write kvmini makes for the
 * guest sets it after the write, under mmu_lock too. A move keeps the
 * bits. KVMINI_GET_DIRTY_LOG goes through the bitmap in chunks of 4096
 * pages: under mmu_lock it takes and clears a chunk's bits and
 * write-protects those pages, then copies the chunk out with the lock
 * dropped; one TLB flush before it returns, as KVM. So no write goes
 * unseen: a write to a page after its bit was taken either faults (and
 * sets the bit again), or slips in through a translation not yet flushed,
 * before the call returns, to a page this call reports dirty, which the
 * VMM reads only after it returns.
 *
 * Nested page tables. Four levels of 512 entries (48-bit GPAs), in the
 * backend's entry format (kvmini_backend->pt_format). A fault maps the
 * largest leaf (4 KiB, 2 MiB or 1 GiB) that the host's own mapping of the
 * page (a transparent huge page, hugetlbfs), the slot (the whole range in
 * it, guest and host addresses aligned alike) and the hardware allow, as
 * KVM; a slot that logs dirty pages gets 4 KiB leaves only. A fault maps
 * and holds no reference to the page: coherency with the VMM's address
 * space comes from an MMU notifier. Tables are allocated on the first
 * fault below them. Zapping a range clears the leaves in it (a huge leaf
 * that only overlaps it too) and detaches the tables it covers whole;
 * those are freed once no vCPU can walk them (after the TLB flush). A
 * fault that finds a huge leaf where it needs a smaller one splits it
 * into a table of the same translations (no flush: nothing changes for
 * the pages); one that finds a table where it could map a huge leaf maps
 * inside the table (the table goes when its range is next zapped: an
 * invalidation, a slot update).
 *
 * iTLB multihit (X86_BUG_ITLB_MULTIHIT, unless mitigations=off): as KVM's
 * nx_huge_pages, huge leaves are never executable; an instruction fetch
 * from one splits it and maps the page at 4 KiB.
 *
 * Faults vs invalidations (mmu_lock, a spinlock, protects the tables'
 * leaves and links, seq and invalidating):
 *   - a fault reads seq under mmu_lock, then finds the slot (copying out
 *     what it needs under RCU) and gets the page (get_user_pages; may
 *     sleep), then under mmu_lock installs the leaf (and marks the slot
 *     dirty) only if no invalidation is in progress and seq did not move,
 *     which also proves the slot was not replaced, hence not freed;
 *     otherwise it returns 0 and the guest faults again.
 *   - invalidate_range_start bumps invalidating and zaps; _end bumps seq
 *     and drops invalidating. Slot delete/move zaps and bumps seq too.
 *   So a fault that raced with either never installs a stale page.
 *
 * TLB-flush rule: whoever clears a leaf a vCPU may have cached calls
 * kvmini_flush_remote_tlbs() before dropping mmu_lock. Flushing under the
 * lock means a second zapper that finds a leaf already gone knows that the
 * flush for it is done too. The flush kicks vCPUs with IPIs and waits; it
 * does not sleep nor take mmu_lock, so this is allowed. Write-protecting
 * (dirty logging) clears no leaf and nobody relies on a read-only leaf
 * being flushed, so it flushes once at the end, as said above.
 *
 * Table walks are all under mmu_lock (tables can be detached); the
 * hardware's walks stop at the flush.
 *
 * Costs: an untouched slot costs its struct and tree nodes only. Each
 * invalidation looks at every slot (fine for the few slots VMMs use; an
 * interval tree by host address would fix it for thousands), but zaps only
 * the overlap and skips absent tables in one step.
 */
#include <linux/cpu.h>
#include <linux/maple_tree.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include <asm/msr-index.h>
#include <asm/processor.h>
#include <asm/processor-flags.h>

#include "kvmini.h"

#define NPT_LEVELS	4
#define PT_SHIFT	9			/* 512 entries per table */
#define PT_ADDR_MASK	GENMASK_ULL(51, 12)
#define PT_LARGE	BIT_ULL(7)		/* a leaf above level 1 (NPT and EPT) */
/* Ignored by the hardware (NPT: AVL, EPT: ignored): the host let us write. */
#define PT_HOST_WRITABLE BIT_ULL(11)
#define MAX_GFN		(1ULL << (KVMINI_MAX_GPA_BITS - PAGE_SHIFT))

struct kvmini_mmu {
	struct kvmini_vm *vm;
	struct maple_tree gfn_tree;	/* gfn range -> slot (RCU readers) */
	struct xarray slots;		/* id -> slot, see above */

	spinlock_t mmu_lock;
	unsigned long seq;		/* bumped when an invalidation ends */
	unsigned long invalidating;	/* invalidations in progress */
	bool released;			/* the mm is gone: map nothing more */
	bool dying;			/* VM destruction: no vCPU to flush */
	u64 max_gfn;			/* the last gfn a slot may cover */
	u64 total_pages;		/* of all slots, under vm->lock */

	int max_level;			/* the largest leaf the hardware maps */
	bool nx_huge;			/* huge leaves are not executable */

	u64 *root;
	struct mmu_notifier mn;
	bool registered;
};

/* --- nested page tables --- */

static u64 *pt_child(u64 entry)
{
	return __va(entry & PT_ADDR_MASK);
}

/* Index of @gfn's entry in its table at @level (1 = leaf table). */
static unsigned int pt_index(u64 gfn, int level)
{
	return (gfn >> (PT_SHIFT * (level - 1))) & ((1 << PT_SHIFT) - 1);
}

/*
 * We only ever write 0 or a whole entry, so any set bit means present
 * (and teardown works even before a backend supplies its format).
 */
static bool pt_present(u64 entry)
{
	return entry != 0;
}

static bool pt_leaf(u64 entry, int level)
{
	return level == 1 || (entry & PT_LARGE);
}

/* 4 KiB pages one entry at @level covers. */
static u64 pt_pages(int level)
{
	return 1ULL << (PT_SHIFT * (level - 1));
}

/* The bits of a leaf at @level. */
static u64 pt_leaf_bits(struct kvmini_mmu *mmu, int level, bool writable)
{
	const struct kvmini_pt_format *fmt = kvmini_backend->pt_format;
	u64 e = fmt->leaf | (writable ? fmt->write | PT_HOST_WRITABLE : 0);

	if (level > 1) {
		e |= PT_LARGE;
		if (mmu->nx_huge)
			e = (e & ~fmt->exec) | fmt->noexec;
	}
	return e;
}

/* A leaf at @level appears or goes. Under mmu_lock. */
static void pt_count(struct kvmini_mmu *mmu, int level, s64 n)
{
	mmu->vm->stat.pages[level - 1] += n;
}

/*
 * Free @table at @level and the tables below it, all detached from the
 * tree and flushed from every vCPU's TLB. Under mmu_lock (or at VM
 * destruction).
 */
static void pt_free(struct kvmini_mmu *mmu, u64 *table, int level)
{
	unsigned int i;

	for (i = 0; i < (1 << PT_SHIFT); i++) {
		if (!pt_present(table[i]))
			continue;
		if (pt_leaf(table[i], level))
			pt_count(mmu, level, -1);
		else
			pt_free(mmu, pt_child(table[i]), level - 1);
	}
	free_page((unsigned long)table);
}

/*
 * Clear the leaves for gfns [start, end) below @table at @level (a huge
 * leaf that overlaps the range goes whole) and detach the tables the
 * range covers whole onto @detached; true if any was present. Absent
 * entries are skipped whole. Under mmu_lock (the caller, pt_zap, checks).
 */
static bool pt_zap_level(struct kvmini_mmu *mmu, u64 *table, int level, u64 start,
			 u64 end, struct list_head *detached)
{
	unsigned int shift = PT_SHIFT * (level - 1);
	u64 gfn, next, e, *entry;
	bool zapped = false;

	for (gfn = start; gfn < end; gfn = next) {
		next = ((gfn >> shift) + 1) << shift;
		entry = &table[pt_index(gfn, level)];
		e = READ_ONCE(*entry);
		if (!pt_present(e))
			continue;
		if (pt_leaf(e, level)) {
			WRITE_ONCE(*entry, 0);
			pt_count(mmu, level, -1);
			zapped = true;
		} else if (gfn == ((gfn >> shift) << shift) && next <= end) {
			WRITE_ONCE(*entry, 0);
			set_page_private(virt_to_page(pt_child(e)), level - 1);
			list_add(&virt_to_page(pt_child(e))->lru, detached);
			zapped = true;
		} else {
			zapped |= pt_zap_level(mmu, pt_child(e), level - 1, gfn, min(next, end),
					       detached);
		}
	}
	return zapped;
}

/*
 * Clear the leaves for gfns [start, end) and detach the tables the range
 * covers whole; true if any was present: then the caller flushes and
 * only then frees the detached tables (pt_free_detached).
 */
static bool pt_zap(struct kvmini_mmu *mmu, u64 start, u64 end, struct list_head *detached)
{
	lockdep_assert_held(&mmu->mmu_lock);
	return pt_zap_level(mmu, mmu->root, NPT_LEVELS, start, end, detached);
}

/* After the flush: no vCPU walks them any more. Under mmu_lock. */
static void pt_free_detached(struct kvmini_mmu *mmu, struct list_head *detached)
{
	struct page *page, *tmp;

	list_for_each_entry_safe(page, tmp, detached, lru) {
		int level = page_private(page);	/* the table's own */

		list_del(&page->lru);
		set_page_private(page, 0);
		pt_free(mmu, page_address(page), level);
	}
}

/* Make @gfn's leaf read-only; true if it was writable. Under mmu_lock. */
static bool pt_wrprotect(struct kvmini_mmu *mmu, u64 gfn)
{
	u64 write = kvmini_backend->pt_format->write, *table = mmu->root, e;
	int level;

	lockdep_assert_held(&mmu->mmu_lock);
	for (level = NPT_LEVELS; ; level--) {
		e = READ_ONCE(table[pt_index(gfn, level)]);
		if (!pt_present(e))
			return false;
		if (pt_leaf(e, level))
			break;
		table = pt_child(e);
	}
	if (!(e & write))
		return false;
	WRITE_ONCE(table[pt_index(gfn, level)], e & ~write);
	return true;
}

/*
 * A write to @gfn's leaf that dirty logging made read-only: if the host
 * let us map the page writable (and the MMU notifier has not taken the
 * leaf away since, so it still does), make it writable again; no need
 * to look up the page. True if it is writable now. Under mmu_lock.
 */
static bool pt_unprotect(struct kvmini_mmu *mmu, u64 gfn)
{
	u64 write = kvmini_backend->pt_format->write, *table = mmu->root, e;
	int level;

	lockdep_assert_held(&mmu->mmu_lock);
	for (level = NPT_LEVELS; level > 1; level--) {
		e = READ_ONCE(table[pt_index(gfn, level)]);
		if (!pt_present(e) || pt_leaf(e, level))
			return false;	/* (a logging slot has 4 KiB leaves only) */
		table = pt_child(e);
	}
	e = READ_ONCE(table[pt_index(gfn, 1)]);
	if (!pt_present(e) || !(e & PT_HOST_WRITABLE))
		return false;
	WRITE_ONCE(table[pt_index(gfn, 1)], e | write);
	return true;
}

static bool slot_logs(const struct kvmini_memslot *slot)
{
	return slot->flags & KVMINI_MEM_LOG_DIRTY_PAGES;
}

/* Under mmu_lock, which orders it against KVMINI_GET_DIRTY_LOG. */
static void mark_dirty(struct kvmini_mmu *mmu, struct kvmini_memslot *slot, u64 gfn)
{
	lockdep_assert_held(&mmu->mmu_lock);
	if (slot_logs(slot))
		set_bit(gfn - slot->base_gfn, slot->dirty);
}

/* Zap gfns [start, end), flush, and make racing faults retry. */
static void zap_gfns(struct kvmini_mmu *mmu, u64 start, u64 end)
{
	LIST_HEAD(detached);

	spin_lock(&mmu->mmu_lock);
	if (pt_zap(mmu, start, end, &detached))
		kvmini_flush_remote_tlbs(mmu->vm);
	pt_free_detached(mmu, &detached);
	mmu->seq++;
	spin_unlock(&mmu->mmu_lock);
}

/* Tables a fault may need, allocated before taking mmu_lock. */
struct pt_cache {
	int n;
	u64 *pages[NPT_LEVELS - 1];
};

/*
 * Allocate the tables a leaf at @level for @gfn needs: one per level
 * below the first entry above @level that is absent or a huge leaf (to
 * split). Counted under mmu_lock; pt_map() says if it needs more.
 */
static int pt_cache_fill(struct kvmini_mmu *mmu, u64 gfn, int level, struct pt_cache *c)
{
	u64 *table = mmu->root, e;
	int l, need = 0;

	spin_lock(&mmu->mmu_lock);
	for (l = NPT_LEVELS; l > level; l--) {
		e = READ_ONCE(table[pt_index(gfn, l)]);
		if (!pt_present(e) || pt_leaf(e, l)) {
			need = l - level;
			break;
		}
		table = pt_child(e);
	}
	spin_unlock(&mmu->mmu_lock);
	while (c->n < need) {
		c->pages[c->n] = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
		if (!c->pages[c->n])
			return -ENOMEM;
		c->n++;
	}
	return 0;
}

static void pt_cache_free(struct pt_cache *c)
{
	while (c->n)
		free_page((unsigned long)c->pages[--c->n]);
}

/*
 * Replace the huge leaf *@entry at @level with a table of the same
 * translations one level down (the same rights; 4 KiB leaves executable).
 * The TLB may keep the huge translation: it is still right.
 */
static void pt_split(struct kvmini_mmu *mmu, u64 *entry, int level, u64 *table)
{
	const struct kvmini_pt_format *fmt = kvmini_backend->pt_format;
	u64 e = READ_ONCE(*entry), bits;
	unsigned int i;

	bits = pt_leaf_bits(mmu, level - 1, e & PT_HOST_WRITABLE);
	bits &= (e & fmt->write) ? ~0ULL : ~fmt->write;	/* as it was */
	for (i = 0; i < (1 << PT_SHIFT); i++)
		table[i] = ((e & PT_ADDR_MASK) + i * (pt_pages(level - 1) << PAGE_SHIFT)) | bits;
	pt_count(mmu, level, -1);
	pt_count(mmu, level - 1, 1 << PT_SHIFT);
	/* The new table is filled before it becomes reachable. */
	WRITE_ONCE(*entry, __pa(table) | fmt->dir);
}

/*
 * Map @gfn to the page at @pfn with a leaf at @level or, where a table is
 * already there, below it; build the path, split huge leaves on it. The
 * level mapped, or 0 if @c had too few tables. Under mmu_lock.
 */
static int pt_map(struct kvmini_mmu *mmu, u64 gfn, unsigned long pfn, int level,
		  bool writable, struct pt_cache *c)
{
	const struct kvmini_pt_format *fmt = kvmini_backend->pt_format;
	u64 *table = mmu->root, *e, old;
	int l;

	lockdep_assert_held(&mmu->mmu_lock);
	for (l = NPT_LEVELS; ; l--) {
		e = &table[pt_index(gfn, l)];
		old = READ_ONCE(*e);
		if (l == level) {
			if (l == 1 || !pt_present(old) || pt_leaf(old, l))
				break;
			level--;	/* a table is here: map inside it */
		}
		if (!pt_present(old) || pt_leaf(old, l)) {
			if (!c->n)
				return 0;
			if (pt_present(old)) {
				pt_split(mmu, e, l, c->pages[--c->n]);
			} else {
				/* The new table is zeroed before it becomes reachable. */
				WRITE_ONCE(*e, __pa(c->pages[--c->n]) | fmt->dir);
			}
		}
		table = pt_child(READ_ONCE(*e));
	}
	/*
	 * Present already: another vCPU won the race (the same entry), or a
	 * read fault mapped the page read-only and this write fault upgrades
	 * it. No invalidation ran since both looked (seq), so it is the same
	 * page: a stale read-only translation only faults once more, no flush.
	 */
	if (!pt_present(old))
		pt_count(mmu, level, 1);
	pfn &= ~(pt_pages(level) - 1);
	WRITE_ONCE(*e, PFN_PHYS(pfn) | pt_leaf_bits(mmu, level, writable));
	return level;
}

/*
 * How the host maps @hva: 1 (4 KiB), 2 (a 2 MiB PMD) or 3 (a 1 GiB PUD).
 * A lockless walk with interrupts off, as GUP-fast: the tables cannot be
 * freed under it. Under mmu_lock, with no invalidation since the page was
 * got: so the answer is about that page.
 */
static int host_level(struct mm_struct *mm, unsigned long hva)
{
	unsigned long flags;
	int level = 1;
	pgd_t pgd;
	p4d_t p4d;
	pud_t pud;
	pmd_t pmd;

	local_irq_save(flags);
	pgd = READ_ONCE(*pgd_offset(mm, hva));
	if (pgd_none(pgd))
		goto out;
	p4d = READ_ONCE(*p4d_offset(&pgd, hva));
	if (p4d_none(p4d) || !p4d_present(p4d))
		goto out;
	pud = READ_ONCE(*pud_offset(&p4d, hva));
	if (pud_none(pud) || !pud_present(pud))
		goto out;
	if (pud_large(pud)) {
		level = 3;
		goto out;
	}
	pmd = READ_ONCE(*pmd_offset(&pud, hva));
	if (!pmd_none(pmd) && pmd_present(pmd) && pmd_large(pmd))
		level = 2;
out:
	local_irq_restore(flags);
	return level;
}

/*
 * The largest leaf @slot allows for @gfn (at @hva): the range the leaf
 * covers lies in the slot, and guest and host addresses are aligned
 * alike in it. 4 KiB only while the slot logs dirty pages.
 */
static int slot_level(struct kvmini_mmu *mmu, const struct kvmini_memslot *slot,
		      u64 gfn, unsigned long hva)
{
	int level;
	u64 n;

	if (slot_logs(slot))
		return 1;
	for (level = mmu->max_level; level > 1; level--) {
		n = pt_pages(level);
		if (((gfn ^ (hva >> PAGE_SHIFT)) & (n - 1)) == 0 &&
		    (gfn & ~(n - 1)) >= slot->base_gfn &&
		    (gfn & ~(n - 1)) + n <= slot->base_gfn + slot->npages)
			break;
	}
	return level;
}

/*
 * The fast way for a write to a page dirty logging write-protected: no
 * page lookup (pt_unprotect). The slot still in gfn_tree under mmu_lock
 * has not been zapped (a slot leaves the tree first, then is zapped
 * under the lock), so its bitmap is not freed (slot_free) and the leaf
 * is its own.
 */
static bool fault_unprotect(struct kvmini_mmu *mmu, u64 gfn)
{
	struct kvmini_memslot *slot;
	bool done = false;

	rcu_read_lock();
	slot = mtree_load(&mmu->gfn_tree, gfn);
	if (slot && slot_logs(slot)) {
		spin_lock(&mmu->mmu_lock);
		if (mtree_load(&mmu->gfn_tree, gfn) == slot)
			done = pt_unprotect(mmu, gfn);
		if (done)
			mark_dirty(mmu, slot, gfn);
		spin_unlock(&mmu->mmu_lock);
	}
	rcu_read_unlock();
	return done;
}

int kvmini_mmu_fault(struct kvmini_vm *vm, u64 gpa, bool write, bool fetch, int *mapped)
{
	struct kvmini_mmu *mmu = vm->mmu;
	u64 gfn = gpa >> PAGE_SHIFT;
	struct kvmini_memslot *slot;
	struct pt_cache cache = {};
	unsigned long hva = 0, seq;
	bool writable = false, logs = false;
	int r, level = 1;
	struct page *page;

	*mapped = 0;
	if (gfn >= MAX_GFN)
		return -ENOENT;
	if (vm->mm != current->mm)
		return -EFAULT;

	/* Under the lock: orders this read after any slot update before it. */
	spin_lock(&mmu->mmu_lock);
	seq = mmu->seq;
	spin_unlock(&mmu->mmu_lock);

	/*
	 * Take what is needed from the slot now: once out of the RCU section
	 * it may be deleted and freed at any time, until the seq check below
	 * proves it was not.
	 */
	rcu_read_lock();
	slot = mtree_load(&mmu->gfn_tree, gfn);
	if (slot) {
		hva = slot->userspace_addr + ((gfn - slot->base_gfn) << PAGE_SHIFT);
		writable = !(slot->flags & KVMINI_MEM_READONLY);
		logs = slot_logs(slot);
		level = slot_level(mmu, slot, gfn, hva);
	}
	rcu_read_unlock();
	if (!slot || (write && !writable))
		return -ENOENT;		/* a device's, to emulate */
	if (write && logs && fault_unprotect(mmu, gfn)) {
		*mapped = 1;
		return 0;
	}
	if (fetch && mmu->nx_huge)
		level = 1;		/* see the top of the file */

	/*
	 * A write fault gets a writable page (breaking COW). A read fault
	 * takes the page writable only if it already is, else maps what is
	 * there read-only (the zero page, a COW page, read-only memory): a
	 * later write faults again and takes it writable.
	 */
	if (write || !writable || logs ||
	    get_user_pages_fast_only(hva, 1, FOLL_WRITE, &page) != 1) {
		writable = write;
		r = get_user_pages_fast(hva, 1, write ? FOLL_WRITE : 0, &page);
	} else {
		r = 1;
	}
	if (r != 1) {
		if (fatal_signal_pending(current))
			r = -EINTR;
		else if (r != -ENOMEM)
			r = -EFAULT;
		return r;
	}

	/* Until the tables are there (or an invalidation makes it moot). */
	for (r = 0;;) {
		spin_lock(&mmu->mmu_lock);
		if (mmu->released) {
			r = -EFAULT;
			break;
		}
		/* Raced with an invalidation: the guest faults again. */
		if (mmu->invalidating || mmu->seq != seq)
			break;
		/* seq unchanged: @slot was not replaced, so not freed either. */
		level = min(level, host_level(vm->mm, hva));
		*mapped = pt_map(mmu, gfn, page_to_pfn(page), level, writable, &cache);
		if (*mapped) {
			if (writable)
				mark_dirty(mmu, slot, gfn);
			break;
		}
		spin_unlock(&mmu->mmu_lock);
		r = pt_cache_fill(mmu, gfn, level, &cache);
		if (r)
			goto out;
	}
	spin_unlock(&mmu->mmu_lock);
out:
	put_page(page);		/* the notifier, not a pin, keeps us coherent */
	pt_cache_free(&cache);
	return r;
}

/* --- MMU notifier --- */

/* Zap @slot's gfns backed by host addresses [start, end). Under mmu_lock. */
static bool zap_slot_hva(struct kvmini_mmu *mmu, struct kvmini_memslot *slot,
			 unsigned long start, unsigned long end, struct list_head *detached)
{
	unsigned long s_start = slot->userspace_addr;
	unsigned long s_end = s_start + (slot->npages << PAGE_SHIFT);
	u64 first, last;

	start = max(start, s_start);
	end = min(end, s_end);
	if (start >= end)
		return false;
	first = slot->base_gfn + ((start - s_start) >> PAGE_SHIFT);
	last = slot->base_gfn + ((end - s_start + PAGE_SIZE - 1) >> PAGE_SHIFT);
	return pt_zap(mmu, first, last, detached);
}

/* Only spinlocks, no allocation: fine for non-blockable ranges too. */
static int mmu_invalidate_range_start(struct mmu_notifier *mn,
				      const struct mmu_notifier_range *range)
{
	struct kvmini_mmu *mmu = container_of(mn, struct kvmini_mmu, mn);
	struct kvmini_memslot *slot;
	LIST_HEAD(detached);
	bool flush = false;
	unsigned long id;

	spin_lock(&mmu->mmu_lock);
	mmu->invalidating++;
	rcu_read_lock();
	xa_for_each(&mmu->slots, id, slot)
		flush |= zap_slot_hva(mmu, slot, range->start, range->end, &detached);
	rcu_read_unlock();
	/* Before returning: the pages may be freed right after. */
	if (flush)
		kvmini_flush_remote_tlbs(mmu->vm);
	pt_free_detached(mmu, &detached);
	spin_unlock(&mmu->mmu_lock);
	return 0;
}

static void mmu_invalidate_range_end(struct mmu_notifier *mn,
				     const struct mmu_notifier_range *range)
{
	struct kvmini_mmu *mmu = container_of(mn, struct kvmini_mmu, mn);

	spin_lock(&mmu->mmu_lock);
	mmu->seq++;
	mmu->invalidating--;
	spin_unlock(&mmu->mmu_lock);
}

/* The mm is going away (exit, or our own unregister): unmap everything. */
static void mmu_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct kvmini_mmu *mmu = container_of(mn, struct kvmini_mmu, mn);
	LIST_HEAD(detached);

	spin_lock(&mmu->mmu_lock);
	mmu->released = true;
	if (pt_zap(mmu, 0, MAX_GFN, &detached) && !mmu->dying)
		kvmini_flush_remote_tlbs(mmu->vm);
	pt_free_detached(mmu, &detached);
	mmu->seq++;
	spin_unlock(&mmu->mmu_lock);
}

static const struct mmu_notifier_ops kvmini_mmu_notifier_ops = {
	.invalidate_range_start = mmu_invalidate_range_start,
	.invalidate_range_end = mmu_invalidate_range_end,
	.release = mmu_release,
};

/* --- creation and destruction --- */

/*
 * As KVM (kvm_mmu_max_gfn): nested paging maps no guest-physical address
 * at or above the host's MAXPHYADDR (read as KVM reads it), and kvmini's
 * four levels map none at or above 2^48.
 */
static u64 slots_max_gfn(void)
{
	unsigned int bits = boot_cpu_data.x86_phys_bits;

	if (boot_cpu_data.extended_cpuid_level >= 0x80000008)
		bits = cpuid_eax(0x80000008) & 0xff;
	return (1ULL << (min_t(unsigned int, bits, KVMINI_MAX_GPA_BITS) - PAGE_SHIFT)) - 1;
}

int kvmini_mmu_create(struct kvmini_vm *vm)
{
	struct kvmini_mmu *mmu;
	int r;

	mmu = kzalloc(sizeof(*mmu), GFP_KERNEL_ACCOUNT);
	if (!mmu)
		return -ENOMEM;
	mmu->vm = vm;
	mmu->max_gfn = slots_max_gfn();
	mmu->max_level = kvmini_backend->pt_max_level ? kvmini_backend->pt_max_level() : 1;
	mmu->nx_huge = boot_cpu_has_bug(X86_BUG_ITLB_MULTIHIT) && !cpu_mitigations_off();
	mt_init_flags(&mmu->gfn_tree, MT_FLAGS_USE_RCU);
	xa_init(&mmu->slots);
	spin_lock_init(&mmu->mmu_lock);
	vm->mmu = mmu;

	mmu->root = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!mmu->root) {
		r = -ENOMEM;
		goto fail;
	}
	vm->npt_root_pa = __pa(mmu->root);

	mmu->mn.ops = &kvmini_mmu_notifier_ops;
	r = mmu_notifier_register(&mmu->mn, vm->mm);
	if (r)
		goto fail;
	mmu->registered = true;
	return 0;
fail:
	kvmini_mmu_destroy(vm);
	return r;
}

void kvmini_mmu_destroy(struct kvmini_vm *vm)
{
	struct kvmini_mmu *mmu = vm->mmu;
	struct kvmini_memslot *slot;
	unsigned long id;

	if (!mmu)
		return;
	/* No vCPU is left; unregister waits for running callbacks. */
	mmu->dying = true;
	if (mmu->registered)
		mmu_notifier_unregister(&mmu->mn, vm->mm);
	xa_for_each(&mmu->slots, id, slot) {
		kvfree(slot->dirty);
		kfree(slot);
	}
	xa_destroy(&mmu->slots);
	/*
	 * No reader is left. Freeing a tree still in RCU mode crashed 6.1's
	 * mt_free_walk() (seen with thousands of slots): free it directly.
	 */
	mt_clear_in_rcu(&mmu->gfn_tree);
	mtree_destroy(&mmu->gfn_tree);
	if (mmu->root)
		pt_free(mmu, mmu->root, NPT_LEVELS);
	vm->npt_root_pa = 0;
	vm->mmu = NULL;
	kfree(mmu);
}

/* --- memory slots --- */

/* As KVM 6.1 (KVM_MEM_MAX_NR_PAGES): the most pages one slot may have. */
#define SLOT_MAX_NR_PAGES	((1UL << 31) - 1)

/* Does a slot other than @self cover any of gfns [base, base + npages)? */
static bool gfns_taken(struct kvmini_mmu *mmu, u64 base, u64 npages,
		       struct kvmini_memslot *self)
{
	unsigned long index = base;
	void *slot;

	while ((slot = mt_find(&mmu->gfn_tree, &index, base + npages - 1)))
		if (slot != self)
			return true;
	return false;
}

static int slot_publish(struct kvmini_mmu *mmu, struct kvmini_memslot *slot, gfp_t gfp)
{
	return mtree_insert_range(&mmu->gfn_tree, slot->base_gfn,
				  slot->base_gfn + slot->npages - 1, slot, gfp);
}

/* Stop faults finding @slot and remove what they mapped. Under vm->lock. */
static void slot_unpublish(struct kvmini_mmu *mmu, struct kvmini_memslot *slot)
{
	lockdep_assert_held(&mmu->vm->lock);
	mtree_erase(&mmu->gfn_tree, slot->base_gfn);
	zap_gfns(mmu, slot->base_gfn, slot->base_gfn + slot->npages);
}

/*
 * Free @slot, which is in neither index any more. Its bitmap goes at once
 * (unless @dirty_moved: another slot has it now): only mmu_lock holders
 * touch a bitmap, and once this lock round is over none can reach @slot's
 * (a fault marks only a slot that is still published, as seq proves;
 * mark_dirty_id() only the one the xarray holds). The struct goes after a
 * grace period: RCU readers may still look at it.
 */
static void slot_free(struct kvmini_mmu *mmu, struct kvmini_memslot *slot, bool dirty_moved)
{
	spin_lock(&mmu->mmu_lock);
	spin_unlock(&mmu->mmu_lock);
	if (!dirty_moved)
		kvfree(slot->dirty);
	kfree_rcu(slot, rcu);
}

/*
 * Add @new. On failure it is freed (slot_free: the MMU notifier may have
 * seen it in the xarray). Under vm->lock.
 */
/*
 * A slot came or went: KVM's default for KVMINI_GET_NR_MMU_PAGES, 2% of
 * the slots' pages and at least 64, unless the VMM set a number. kvmini
 * has no shadow MMU to limit (as KVM with nested paging): it is only kept.
 */
static void slots_resized(struct kvmini_mmu *mmu)
{
	struct kvmini_vm *vm = mmu->vm;

	if (!vm->n_requested_mmu_pages)
		vm->n_max_mmu_pages = max_t(u64, mmu->total_pages * 20 / 1000,
					    KVMINI_MIN_ALLOC_MMU_PAGES);
}

static int slot_create(struct kvmini_mmu *mmu, struct kvmini_memslot *new)
{
	int r;

	lockdep_assert_held(&mmu->vm->lock);
	r = xa_err(xa_store(&mmu->slots, new->id, new, GFP_KERNEL_ACCOUNT));
	if (!r) {
		r = slot_publish(mmu, new, GFP_KERNEL_ACCOUNT);
		if (!r) {
			mmu->total_pages += new->npages;
			slots_resized(mmu);
			return 0;
		}
		xa_erase(&mmu->slots, new->id);
	}
	slot_free(mmu, new, false);
	return r;
}

/* Under vm->lock. */
static void slot_delete(struct kvmini_mmu *mmu, struct kvmini_memslot *old)
{
	lockdep_assert_held(&mmu->vm->lock);
	slot_unpublish(mmu, old);
	xa_erase(&mmu->slots, old->id);
	mmu->total_pages -= old->npages;
	slots_resized(mmu);
	slot_free(mmu, old, false);
}

/*
 * Move @old or change its flags: @new takes its place, and whichever of
 * the two does not stay is freed. If both log, they share one bitmap (the
 * caller set it so): the log goes on across a move, as KVM's, and a mark
 * made through either slot lands in it. Under vm->lock.
 */
static int slot_replace(struct kvmini_mmu *mmu, struct kvmini_memslot *old,
			struct kvmini_memslot *new)
{
	bool shared = slot_logs(old) && slot_logs(new);
	int r;

	lockdep_assert_held(&mmu->vm->lock);
	slot_unpublish(mmu, old);
	/* Replacing an existing xarray entry allocates nothing. */
	xa_store(&mmu->slots, new->id, new, GFP_KERNEL_ACCOUNT);
	r = slot_publish(mmu, new, GFP_KERNEL_ACCOUNT);
	if (!r) {
		slot_free(mmu, old, shared);
		return 0;
	}
	/*
	 * Out of memory: put the old slot back as it was. Its tree nodes were
	 * freed just now; take them back without charging the VMM's memory
	 * cgroup, whose limit may be what failed (mtree_erase allocates the
	 * same way), so this fails only when the kernel itself is out.
	 */
	xa_store(&mmu->slots, old->id, old, GFP_KERNEL_ACCOUNT);
	slot_free(mmu, new, shared);
	if (slot_publish(mmu, old, GFP_KERNEL)) {
		pr_warn_ratelimited(KVMINI_PFX "slot %u lost: out of memory\n", old->id);
		xa_erase(&mmu->slots, old->id);
		slot_free(mmu, old, false);
	}
	return r;
}

/* The checks and their order are KVM's (__kvm_set_memory_region, 6.1). */
int kvmini_set_memory_region(struct kvmini_vm *vm,
			     const struct kvmini_userspace_memory_region *r)
{
	struct kvmini_mmu *mmu = vm->mmu;
	u32 as_id = r->slot >> 16, id = r->slot & 0xffff;
	u64 base_gfn = r->guest_phys_addr >> PAGE_SHIFT;
	u64 npages = r->memory_size >> PAGE_SHIFT;
	struct kvmini_memslot *old, *new;
	int ret;

	if (id >= KVMINI_MAX_MEMSLOTS)
		return -EINVAL;
	if (r->flags & ~(KVMINI_MEM_READONLY | KVMINI_MEM_LOG_DIRTY_PAGES))
		return -EINVAL;
	if ((r->memory_size | r->guest_phys_addr | r->userspace_addr) & ~PAGE_MASK)
		return -EINVAL;
	if (r->userspace_addr + r->memory_size < r->userspace_addr ||
	    !access_ok(u64_to_user_ptr(r->userspace_addr), r->memory_size))
		return -EINVAL;
	if (as_id != 0)
		return -EINVAL;
	if (r->guest_phys_addr + r->memory_size < r->guest_phys_addr)
		return -EINVAL;
	/* This also keeps the dirty bitmap below 256 MiB. */
	if (npages > SLOT_MAX_NR_PAGES)
		return -EINVAL;

	mutex_lock(&vm->lock);
	old = xa_load(&mmu->slots, id);
	if (!npages) {
		/* As KVM: deleting a slot that does not exist is an error. */
		ret = -EINVAL;
		if (old) {
			slot_delete(mmu, old);
			ret = 0;
		}
		goto out;
	}
	if (old) {
		/* Only moving it or changing its flags (but READONLY) is allowed. */
		ret = -EINVAL;
		if (r->userspace_addr != old->userspace_addr ||
		    npages != old->npages ||
		    ((r->flags ^ old->flags) & KVMINI_MEM_READONLY))
			goto out;
		ret = 0;
		if (base_gfn == old->base_gfn && r->flags == old->flags)
			goto out;
	}
	ret = -EEXIST;
	if (gfns_taken(mmu, base_gfn, npages, old))
		goto out;

	ret = -ENOMEM;
	new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new)
		goto out;
	new->flags = r->flags;
	if (slot_logs(new)) {
		/* As KVM: a slot that logs on (moved) keeps its log. */
		if (old && slot_logs(old))
			new->dirty = old->dirty;
		else	/* up to 256 MiB: an errno if it fails, not a warning */
			new->dirty = kvcalloc(BITS_TO_LONGS(npages), sizeof(long),
					      GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
		if (!new->dirty) {
			kfree(new);
			goto out;
		}
		/* As KVM: a new log starts all dirty if the VMM asked so. */
		if ((!old || new->dirty != old->dirty) &&
		    (vm->manual_dirty_log_protect & KVMINI_DIRTY_LOG_INITIALLY_SET))
			bitmap_set(new->dirty, 0, npages);
	}
	/* As KVM, after the bitmap: what nested paging can map (new or moved). */
	if ((!old || base_gfn != old->base_gfn) && base_gfn + npages - 1 > mmu->max_gfn) {
		if (!old || new->dirty != old->dirty)
			kvfree(new->dirty);	/* never seen by anyone */
		kfree(new);
		ret = -EINVAL;
		goto out;
	}
	new->base_gfn = base_gfn;
	new->npages = npages;
	new->userspace_addr = r->userspace_addr;
	new->id = id;
	/* Either frees @new if it fails. */
	ret = old ? slot_replace(mmu, old, new) : slot_create(mmu, new);
out:
	mutex_unlock(&vm->lock);
	return ret;
}

/* --- guest memory access by GPA --- */

/*
 * The host address of @gpa; for a @write, where its dirty bit is (slot id
 * and page index, for mark_dirty_id() once the write is done; *id is
 * U32_MAX if the slot does not log). -ENOENT if no slot has it, or for a
 * write, no slot the guest may write (READONLY: kvmini never writes the
 * VMM's read-only memory for the guest either).
 */
static int gpa_to_hva(struct kvmini_vm *vm, u64 gpa, bool write, unsigned long *hva,
		      u32 *id, u64 *index)
{
	struct kvmini_mmu *mmu = vm->mmu;
	struct kvmini_memslot *slot;
	u64 gfn = gpa >> PAGE_SHIFT;

	if (gfn >= MAX_GFN)
		return -ENOENT;
	rcu_read_lock();
	slot = mtree_load(&mmu->gfn_tree, gfn);
	if (slot && write && (slot->flags & KVMINI_MEM_READONLY))
		slot = NULL;
	if (slot) {
		*hva = slot->userspace_addr + (gpa - (slot->base_gfn << PAGE_SHIFT));
		*id = slot_logs(slot) ? slot->id : U32_MAX;
		*index = gfn - slot->base_gfn;
	}
	rcu_read_unlock();
	return slot ? 0 : -ENOENT;
}

/*
 * kvmini wrote page @index of slot @id for the guest: mark it dirty in the
 * slot the xarray holds under that id now, if it logs. After the write,
 * as KVM, never before: a GET_DIRTY_LOG between a mark and its write would
 * report the page before the write and never after it. The slot may have
 * changed since the write found it: a move or flags change keeps the id,
 * the size and the host address (so the page), and a slot that logs on
 * after a move keeps its bitmap; one that went away gets no mark, and one
 * recreated with that id may get an extra one (reported early, harmless).
 */
static void mark_dirty_id(struct kvmini_mmu *mmu, u32 id, u64 index)
{
	struct kvmini_memslot *slot;

	rcu_read_lock();
	spin_lock(&mmu->mmu_lock);
	slot = xa_load(&mmu->slots, id);
	if (slot && slot_logs(slot) && index < slot->npages)
		set_bit(index, slot->dirty);
	spin_unlock(&mmu->mmu_lock);
	rcu_read_unlock();
}

bool kvmini_gpa_is_ram(struct kvmini_vm *vm, u64 gpa, bool write)
{
	struct kvmini_memslot *slot;
	u64 gfn = gpa >> PAGE_SHIFT;
	bool ram;

	if (gfn >= MAX_GFN)
		return false;
	rcu_read_lock();
	slot = mtree_load(&vm->mmu->gfn_tree, gfn);
	ram = slot && !(write && (slot->flags & KVMINI_MEM_READONLY));
	rcu_read_unlock();
	return ram;
}

/*
 * Copy page by page, each through its own slot. A range that leaves the
 * slots fails with -ENOENT after copying the part before the gap.
 */
static int gpa_copy(struct kvmini_vm *vm, u64 gpa, u8 *buf, unsigned int len,
		    bool write)
{
	unsigned long hva, n, left;
	u64 index;
	u32 id;
	int r;

	if (vm->mm != current->mm)
		return -EFAULT;
	if (gpa + len < gpa)
		return -ENOENT;
	while (len) {
		n = min_t(unsigned long, len, PAGE_SIZE - offset_in_page(gpa));
		r = gpa_to_hva(vm, gpa, write, &hva, &id, &index);
		if (r)
			return r;
		if (write)
			left = copy_to_user((void __user *)hva, buf, n);
		else
			left = copy_from_user(buf, (const void __user *)hva, n);
		/* A partial write wrote something: it counts as dirty. */
		if (write && left < n && id != U32_MAX)
			mark_dirty_id(vm->mmu, id, index);
		if (left)
			return -EFAULT;
		gpa += n;
		buf += n;
		len -= n;
	}
	return 0;
}

int kvmini_read_gpa(struct kvmini_vm *vm, u64 gpa, void *buf, unsigned int len)
{
	return gpa_copy(vm, gpa, buf, len, false);
}

int kvmini_write_gpa(struct kvmini_vm *vm, u64 gpa, const void *buf,
		     unsigned int len)
{
	return gpa_copy(vm, gpa, (void *)buf, len, true);
}

/* --- guest page-table walk --- */

#define PTE_P		BIT_ULL(0)
#define PTE_RW		BIT_ULL(1)
#define PTE_US		BIT_ULL(2)
#define PTE_A		BIT_ULL(5)
#define PTE_D		BIT_ULL(6)
#define PTE_PS		BIT_ULL(7)
#define PTE_NX		BIT_ULL(63)
#define GUEST_MAXPHYADDR 52
/* Address bits at and above MAXPHYADDR (none when it is 52). */
#define PTE_RSVD_PHYS	(GENMASK_ULL(51, 0) & ~(BIT_ULL(GUEST_MAXPHYADDR) - 1))

/*
 * Walk the guest's page tables as the CPU does: 2-level 32-bit (with PSE
 * 4 MiB pages), 3-level PAE or 4-level long mode. Accessed bits are set on
 * every entry walked and the dirty bit on the leaf of a write, once the
 * access is known to succeed (a plain write-back, not atomic; as KVM, not
 * where the tables are in a read-only slot).
 * Not checked: SMAP, protection keys, canonical addresses (#GP, not #PF).
 */
int kvmini_gva_to_gpa(struct kvmini_vm *vm, const struct kvmini_paging *pg,
		      u64 gva, u32 access, u64 *gpa, u32 *pf_error)
{
	bool nxe = pg->efer & EFER_NX, lma = pg->efer & EFER_LMA;
	bool pae = lma || (pg->cr4 & X86_CR4_PAE);
	unsigned int esize = pae ? 8 : 4, bits = pae ? 9 : 10;
	bool user_ok = true, write_ok = true, nx = false;
	u64 table, pte, rsvd, pte_gpa[4], ptes[4];	/* per level walked */
	int levels, level, i, shift;
	u32 err = 0;

	if (!(pg->cr0 & X86_CR0_PG)) {
		*gpa = (u32)gva;
		return 0;
	}
	if (lma) {
		levels = 4;
		table = pg->cr3 & PT_ADDR_MASK;
	} else {
		gva = (u32)gva;
		levels = pae ? 3 : 2;
		table = pg->cr3 & (pae ? GENMASK_ULL(31, 5) : GENMASK_ULL(31, 12));
	}

	for (level = levels; ; level--) {
		bool pdpte = pae && !lma && level == 3;	/* no permission bits */

		shift = PAGE_SHIFT + bits * (level - 1);
		i = levels - level;
		pte_gpa[i] = table + ((gva >> shift) & (BIT(bits) - 1)) * esize;
		pte = 0;
		/* As KVM: a table that is not in RAM is a not-present #PF. */
		if (kvmini_read_gpa(vm, pte_gpa[i], &pte, esize))
			goto fault;
		ptes[i] = pte;
		if (!(pte & PTE_P))
			goto fault;

		if (!pae) {			/* 32-bit entries */
			rsvd = (level == 2 && (pte & PTE_PS) &&
				(pg->cr4 & X86_CR4_PSE)) ? BIT_ULL(21) : 0;
		} else {
			rsvd = PTE_RSVD_PHYS | (nxe ? 0 : PTE_NX);
			if (pdpte)
				rsvd = GENMASK_ULL(63, GUEST_MAXPHYADDR) |
				       GENMASK_ULL(8, 5) | GENMASK_ULL(2, 1);
			else if (level == 4)
				rsvd |= PTE_PS;
			else if (level > 1 && (pte & PTE_PS))
				rsvd |= GENMASK_ULL(shift - 1, PAGE_SHIFT + 1);
		}
		if (pte & rsvd) {
			err = KVMINI_PF_PRESENT | KVMINI_PF_RSVD;
			goto fault;
		}
		if (!pdpte) {
			user_ok &= !!(pte & PTE_US);
			write_ok &= !!(pte & PTE_RW);
			nx |= nxe && (pte & PTE_NX);
		}
		if (level == 1)
			break;
		/* Large page: 1 GiB, 2 MiB, or 4 MiB with CR4.PSE */
		if ((pte & PTE_PS) && level <= 3 && !pdpte &&
		    (pae || (pg->cr4 & X86_CR4_PSE)))
			break;
		table = pte & (pae ? PT_ADDR_MASK : GENMASK_ULL(31, 12));
	}

	/* Permissions, accumulated over every level. */
	if (((access & KVMINI_PF_USER) && !user_ok) ||
	    ((access & KVMINI_PF_WRITE) && !write_ok &&
	     ((access & KVMINI_PF_USER) || (pg->cr0 & X86_CR0_WP))) ||
	    ((access & KVMINI_PF_FETCH) && nx) ||
	    ((access & KVMINI_PF_FETCH) && !(access & KVMINI_PF_USER) &&
	     user_ok && (pg->cr4 & X86_CR4_SMEP))) {
		err = KVMINI_PF_PRESENT;
		goto fault;
	}

	if (!pae && level == 2)		/* 4 MiB page; PSE-36 bits 39:32 */
		*gpa = (pte & GENMASK_ULL(31, 22)) | (((pte >> 13) & 0xff) << 32) |
		       (gva & GENMASK_ULL(21, 0));
	else
		*gpa = (pte & (pae ? PT_ADDR_MASK : GENMASK_ULL(31, 12)) &
			~GENMASK_ULL(shift - 1, 0)) | (gva & GENMASK_ULL(shift - 1, 0));

	/* Accessed on every level walked (not PAE PDPTEs), dirty on the leaf. */
	for (i = 0; i < levels - level + 1; i++) {
		pte = ptes[i] | ((pae && !lma && i == 0) ? 0 : PTE_A);
		if (i == levels - level && (access & KVMINI_PF_WRITE))
			pte |= PTE_D;
		if (pte != ptes[i])
			kvmini_write_gpa(vm, pte_gpa[i], &pte, esize);
	}
	return 0;

fault:
	err |= access & (KVMINI_PF_WRITE | KVMINI_PF_USER);
	if ((access & KVMINI_PF_FETCH) && (nxe || (pg->cr4 & X86_CR4_SMEP)))
		err |= KVMINI_PF_FETCH;
	*pf_error = err;
	return -EFAULT;
}

/* --- dirty logging --- */

/* Bits taken per mmu_lock hold: 4096 pages, 512 bytes of stack. */
#define DIRTY_CHUNK_LONGS	64

/*
 * Take a chunk of @slot's bits, from long @first on, into @bits and
 * write-protect those pages; true if any was writable (a flush is due).
 */
/* Under mmu_lock: write-protect the pages of bitmap word @word set in @mask. */
static bool wrprotect_word(struct kvmini_mmu *mmu, struct kvmini_memslot *slot,
			   unsigned long word, unsigned long mask)
{
	bool flush = false;
	unsigned long b;

	for_each_set_bit(b, &mask, BITS_PER_LONG)
		flush |= pt_wrprotect(mmu, slot->base_gfn + word * BITS_PER_LONG + b);
	return flush;
}

static bool dirty_take(struct kvmini_mmu *mmu, struct kvmini_memslot *slot,
		       unsigned long first, unsigned long n, unsigned long *bits)
{
	bool flush = false;
	unsigned long i;

	spin_lock(&mmu->mmu_lock);
	for (i = 0; i < n; i++) {
		/* Manual protection: only read; KVMINI_CLEAR_DIRTY_LOG clears. */
		if (READ_ONCE(mmu->vm->manual_dirty_log_protect)) {
			bits[i] = READ_ONCE(slot->dirty[first + i]);
			continue;
		}
		bits[i] = xchg(&slot->dirty[first + i], 0);
		flush |= wrprotect_word(mmu, slot, first + i, bits[i]);
	}
	spin_unlock(&mmu->mmu_lock);
	return flush;
}

/* Give back bits the VMM did not get (a failed copy): reported next time. */
static void dirty_untake(struct kvmini_mmu *mmu, struct kvmini_memslot *slot,
			 unsigned long first, unsigned long n, const unsigned long *bits)
{
	unsigned long i;

	spin_lock(&mmu->mmu_lock);
	for (i = 0; i < n; i++)
		slot->dirty[first + i] |= bits[i];
	spin_unlock(&mmu->mmu_lock);
}

/*
 * Chunk by chunk (a slot may have 2^31 pages: a 256 MiB bitmap): take the
 * bits under mmu_lock, copy them out with it dropped. See the top of the
 * file for why no write goes unseen.
 */
int kvmini_get_dirty_log(struct kvmini_vm *vm, const struct kvmini_dirty_log *log)
{
	unsigned long bits[DIRTY_CHUNK_LONGS], first, n, total;
	void __user *ubits = u64_to_user_ptr(log->dirty_bitmap);
	struct kvmini_mmu *mmu = vm->mmu;
	struct kvmini_memslot *slot;
	bool flush = false;
	int r = 0;

	if (log->slot >> 16 || (log->slot & 0xffff) >= KVMINI_MAX_MEMSLOTS)
		return -EINVAL;
	mutex_lock(&vm->lock);
	slot = xa_load(&mmu->slots, log->slot);
	if (!slot || !slot_logs(slot)) {
		r = -ENOENT;		/* as KVM: no slot, or not logging */
		goto out;
	}
	total = BITS_TO_LONGS(slot->npages);
	for (first = 0; first < total; first += n) {
		n = min_t(unsigned long, total - first, DIRTY_CHUNK_LONGS);
		flush |= dirty_take(mmu, slot, first, n, bits);
		if (copy_to_user(ubits + first * sizeof(long), bits, n * sizeof(long))) {
			if (!READ_ONCE(vm->manual_dirty_log_protect))
				dirty_untake(mmu, slot, first, n, bits);
			r = -EFAULT;
			break;
		}
		cond_resched();
	}
	/* Before returning, as KVM: see the top of the file. */
	if (flush)
		kvmini_flush_remote_tlbs(vm);
out:
	mutex_unlock(&vm->lock);
	return r;
}

/*
 * KVMINI_CLEAR_DIRTY_LOG (KVM's rules): the pages whose bits are set in
 * the VMM's bitmap, from @first_page (a multiple of 64) for @num_pages (a
 * multiple of 64 unless it reaches the slot's end), lose their dirty bit
 * and, if they had it, are write-protected again to catch the next write.
 * In chunks: a bitmap that faults half-way leaves the first part cleared.
 */
int kvmini_clear_dirty_log(struct kvmini_vm *vm, const struct kvmini_clear_dirty_log *log)
{
	void __user *ubits = u64_to_user_ptr(log->dirty_bitmap);
	unsigned long bits[DIRTY_CHUNK_LONGS], done, n, i, mask;
	unsigned long total = DIV_ROUND_UP(log->num_pages, BITS_PER_LONG);
	struct kvmini_mmu *mmu = vm->mmu;
	struct kvmini_memslot *slot;
	bool flush = false;
	u64 word;
	int r = 0;

	if (log->slot >> 16 || (log->slot & 0xffff) >= KVMINI_MAX_MEMSLOTS)
		return -EINVAL;
	if (log->first_page & 63)
		return -EINVAL;
	mutex_lock(&vm->lock);
	slot = xa_load(&mmu->slots, log->slot);
	r = -ENOENT;
	if (!slot || !slot_logs(slot))
		goto out;
	r = -EINVAL;
	if (log->first_page > slot->npages ||
	    log->num_pages > slot->npages - log->first_page ||
	    (log->num_pages < slot->npages - log->first_page && (log->num_pages & 63)))
		goto out;
	r = 0;
	word = log->first_page / BITS_PER_LONG;
	for (done = 0; done < total; done += n) {
		n = min_t(unsigned long, total - done, DIRTY_CHUNK_LONGS);
		if (copy_from_user(bits, ubits + done * sizeof(long), n * sizeof(long))) {
			r = -EFAULT;
			break;
		}
		spin_lock(&mmu->mmu_lock);
		for (i = 0; i < n; i++) {
			if (!bits[i])
				continue;
			mask = bits[i] & atomic_long_fetch_andnot(bits[i],
					(atomic_long_t *)&slot->dirty[word + done + i]);
			flush |= wrprotect_word(mmu, slot, word + done + i, mask);
		}
		spin_unlock(&mmu->mmu_lock);
		cond_resched();
	}
	if (flush)
		kvmini_flush_remote_tlbs(vm);
out:
	mutex_unlock(&vm->lock);
	return r;
}
