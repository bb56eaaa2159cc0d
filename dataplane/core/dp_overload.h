/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DP_OVERLOAD_H
#define DP_OVERLOAD_H

/*
 * Overload shedding (docs/dataplane.md "Overload"): a worker that cannot
 * keep up sheds new work before parsing it, so what it has already
 * accepted (responses, ACK, BYE, CANCEL, in-dialog requests) still gets
 * through, and so does the control link.
 *
 * The signal is the RX queue itself: a poll-mode worker that keeps up
 * empties its queue now and then (a burst comes back short); one that
 * does not receives full bursts back to back. After DP_OVL_STREAK full
 * bursts in a row the worker is overloaded and the shed level rises by
 * DP_OVL_STEP per further full burst, up to DP_OVL_SCALE (shed every
 * sheddable request). A burst less than half full means the load fell:
 * the level is 0 at once. Between the two it decays by an eighth a burst.
 *
 * Which requests are shed: those that start work (INVITE, REGISTER,
 * OPTIONS, SUBSCRIBE, MESSAGE, PUBLISH, REFER, anything unknown or
 * malformed), told apart by their first bytes, before any parsing. At
 * level L a fraction L / DP_OVL_SCALE of them is shed, spread evenly (an
 * accumulator, no random numbers). One lcore owns each state: no locks.
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define DP_OVL_SCALE 1024u
#define DP_OVL_STEP (DP_OVL_SCALE / 32u)
#define DP_OVL_STREAK 64u

struct dp_overload {
	uint32_t level;   /* 0..DP_OVL_SCALE */
	uint32_t acc;     /* spreads the shed fraction over the requests */
	uint32_t streak;  /* full bursts in a row */
	bool on;          /* --overload-shed */
};

/*
 * After a burst of n packets out of at most burst: update the level.
 * True while shedding (level > 0). Returns whether that burst was full in
 * *full (for the counter).
 */
static inline bool
dp_overload_update(struct dp_overload *o, unsigned n, unsigned burst, bool *full)
{
	*full = n >= burst;
	if (!o->on)
		return false;
	if (*full) {
		if (o->streak < DP_OVL_STREAK)
			o->streak++;
		else
			o->level = o->level + DP_OVL_STEP < DP_OVL_SCALE ?
					o->level + DP_OVL_STEP : DP_OVL_SCALE;
	} else {
		o->streak = 0;
		o->level = 2 * n < burst ? 0 : o->level - o->level / 8;
	}
	return o->level != 0;
}

/* Shed this sheddable request? (level / DP_OVL_SCALE of them) */
static inline bool
dp_overload_shed(struct dp_overload *o)
{
	o->acc += o->level;
	if (o->acc < DP_OVL_SCALE)
		return false;
	o->acc -= DP_OVL_SCALE;
	return true;
}

/*
 * Whether a datagram starts new work (may be shed), from its first bytes:
 * false for responses and for requests that finish or continue work
 * already accepted (ACK, BYE, CANCEL, PRACK, UPDATE, INFO, NOTIFY).
 */
bool dp_overload_sheddable(const char *p, uint32_t len);

#endif
