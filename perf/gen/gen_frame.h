/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GEN_FRAME_H
#define GEN_FRAME_H

/*
 * Whole-frame prototypes: with a prepared template (gen_tmpl_prepare())
 * every request of a run has the same length, so its Ethernet, IP and UDP
 * headers are the same too, but for the IP ID, the UDP source port
 * (--sources), the last two bytes of the source address (--src-ips) and
 * the checksums. A request is then one copy of the prototype frame, its
 * template fields rewritten (gen_tmpl_patch()) and those few header
 * fields written, with both checksums completed from sums taken once
 * (RFC 1071 sums are order-free: a field's contribution is added to the
 * prototype's sum, in which it was zero). The same bytes as
 * gen_tmpl_expand_sum() + gen_pkt_finish_sum(), checked by tests/perf.
 */

#include <stdbool.h>
#include <stdint.h>

#include "gen_pkt.h"
#include "gen_tmpl.h"

struct gen_frame {
	bool v6;
	uint32_t hl;          /* Ethernet + IP + UDP */
	uint32_t len;         /* the whole frame */
	uint64_t ip_sum;      /* IPv4 header: checksum, ID and source's last two bytes zero */
	uint64_t l4_sum;      /* pseudo header + UDP + payload, the varying parts zero */
	uint8_t bytes[GEN_HDR6 + GEN_MSG_MAX];
};

/*
 * The prototype of t (prepared) on flow f: 0, or -1 if t is not prepared.
 * f's source port and the last two bytes of its source address are
 * ignored: gen_frame_build() writes them.
 */
int gen_frame_prepare(struct gen_frame *fr, const struct gen_tmpl *t, const struct gen_flow *f);

/*
 * Request v (v->user_len == t->user_width) into out (room for fr->len + 8
 * bytes): source port sport, last two bytes of the source address src16,
 * IP ID ip_id (all host order). Returns the frame length.
 */
uint32_t gen_frame_build(const struct gen_frame *fr, const struct gen_tmpl *t,
		const struct gen_vars *v, uint16_t sport, uint16_t src16, uint16_t ip_id, uint8_t *out);

#endif
