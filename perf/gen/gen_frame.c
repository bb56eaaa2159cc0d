/* SPDX-License-Identifier: BSD-3-Clause */
#include "gen_frame.h"

#include <string.h>

#include "dp_cksum.h"

/* Offsets in the frame. */
#define IP_OFF GEN_ETH_LEN
#define SRC16_OFF4 (IP_OFF + 12 + 2)
#define SRC16_OFF6 (IP_OFF + 8 + 14)

static inline void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The checksum contribution of 16-bit field value v at an even offset. */
static inline uint64_t
word(uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	uint16_t w;
	memcpy(&w, b, 2);
	return w;
}

int
gen_frame_prepare(struct gen_frame *fr, const struct gen_tmpl *t, const struct gen_flow *f)
{
	if (!t->fixed)
		return -1;
	struct gen_flow z = *f;
	unsigned last = z.v6 ? 14 : 2;
	z.sport = 0;
	z.src_ip[last] = z.src_ip[last + 1] = 0;
	fr->v6 = z.v6;
	fr->hl = gen_hdr_len(&z);
	memcpy(fr->bytes + fr->hl, t->proto, t->proto_len);
	/* Zero where the template's fields go: t->proto_sum counts them as zero. */
	fr->len = gen_pkt_finish_sum(fr->bytes, &z, t->proto_len, t->proto_sum, 0);
	uint8_t *udp = fr->bytes + fr->hl - 8;
	uint16_t c;
	memcpy(&c, udp + 6, 2);
	/* The finished checksum is ~fold(sum): its complement is the whole sum, folded. */
	fr->l4_sum = (uint16_t)~c;
	udp[6] = udp[7] = 0;
	fr->ip_sum = 0;
	if (!z.v6) {
		uint8_t *ip = fr->bytes + IP_OFF;
		memcpy(&c, ip + 10, 2);
		fr->ip_sum = (uint16_t)~c;
		ip[10] = ip[11] = 0;
	}
	return 0;
}

uint32_t
gen_frame_build(const struct gen_frame *fr, const struct gen_tmpl *t, const struct gen_vars *v,
		uint16_t sport, uint16_t src16, uint16_t ip_id, uint8_t *out)
{
	memcpy(out, fr->bytes, fr->len);
	uint64_t l4 = fr->l4_sum + gen_tmpl_patch(t, v, (char *)out + fr->hl);
	uint8_t *udp = out + fr->hl - 8;
	uint64_t src = word(src16);
	put16(udp, sport);
	put16(out + (fr->v6 ? SRC16_OFF6 : SRC16_OFF4), src16);
	l4 += word(sport) + src;
	uint16_t c = (uint16_t)~dp_cksum_fold(l4);
	if (c == 0)
		c = 0xffff;
	memcpy(udp + 6, &c, 2);
	if (!fr->v6) {
		uint8_t *ip = out + IP_OFF;
		put16(ip + 4, ip_id);
		c = (uint16_t)~dp_cksum_fold(fr->ip_sum + word(ip_id) + src);
		memcpy(ip + 10, &c, 2);
	}
	return fr->len;
}
