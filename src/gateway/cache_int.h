/*
 * cache_int.h - what the exact cache (cache.c) and the semantic index
 * (cache_sem.c) share: intrusive doubly linked lists and the limits
 * defaults. Not for use outside src/gateway/cache*.c.
 */
#ifndef AICOST_GW_CACHE_INT_H
#define AICOST_GW_CACHE_INT_H

#include <stddef.h>
#include "gateway/cache.h"

/* A circular list; the head is a sentinel, an unlinked node points to itself. */
struct dlink {
	struct dlink *prev, *next;
};

static inline void dlink_init(struct dlink *h)
{
	h->prev = h->next = h;
}

static inline void dlink_del(struct dlink *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}

static inline void dlink_add_after(struct dlink *at, struct dlink *n)
{
	n->prev = at;
	n->next = at->next;
	at->next->prev = n;
	at->next = n;
}

static inline void dlink_add_before(struct dlink *at, struct dlink *n)
{
	dlink_add_after(at->prev, n);
}

/* *out = in with zero fields replaced by GW_CACHE_LIMITS_DEFAULT's (in may be NULL). */
void gw_limits_resolve(struct gw_cache_limits *out, const struct gw_cache_limits *in);

#endif
