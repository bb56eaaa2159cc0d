/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef BENCH_GEN_H
#define BENCH_GEN_H

/*
 * Realistic INVITEs for the benchmarks (bench_pipeline, bench_parse): the
 * mix a peering edge sees. Each message has 1 to 5 Vias (the sender's on
 * top, with rport; proxies it crossed below, some with received), a
 * Record-Route set in 40% of them and a preloaded Route to the router in
 * 30%, comes from one of BENCH_GEN_SOURCES peers, and is padded with SDP
 * lines to a target size (400 to 1,200 bytes). The dialled number sits at
 * two recorded offsets (Request-URI and To) so a generator can put a new
 * number in a copy of the message without rebuilding it.
 */

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define BENCH_GEN_SOURCES 8
#define BENCH_GEN_ROUTER "10.0.0.1"

/* Deterministic generator (xorshift64*): every run sees the same traffic. */
static inline uint64_t
bench_rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/* What the generator knows about one message: what its answer must echo. */
struct bench_gen_msg {
	uint16_t len;
	uint16_t num_off[2];   /* the number in the Request-URI and in To */
	uint8_t num_len;
	uint8_t n_via;
	uint8_t n_rr;          /* Record-Route entries */
	uint8_t route;         /* a Route to the router (popped by it) */
	uint8_t src;           /* peer index: 198.51.100.(1 + src) */
	uint16_t sport;        /* the peer's UDP source port */
	char branch[32];       /* the top Via's branch */
	char callid[40];
};

/* The peer's address as text. */
static inline void
bench_gen_src(unsigned src, char out[16])
{
	snprintf(out, 16, "198.51.100.%u", 1 + src);
}

/*
 * An INVITE to a number of num_len characters (written as '0's: put the
 * real one at info->num_off[]), about target bytes long, into out (cap
 * >= 1,600). Returns its length, also in info->len.
 */
static inline size_t
bench_gen_invite(char *out, size_t cap, unsigned num_len, size_t target, uint64_t *rs,
		struct bench_gen_msg *info)
{
	char num[32], src[16], sdp[1024];
	size_t n = 0, sl;

	memset(info, 0, sizeof(*info));
	memset(num, '0', num_len);
	num[0] = '+';
	num[num_len] = '\0';
	info->num_len = (uint8_t)num_len;
	info->src = (uint8_t)(bench_rnd(rs) % BENCH_GEN_SOURCES);
	/* Half the peers send from 5060, the others from a NATed port (rport). */
	info->sport = (uint16_t)(info->src % 2 ? 1024 + bench_rnd(rs) % 60000 : 5060);
	info->n_via = (uint8_t)(1 + bench_rnd(rs) % 5);
	info->n_rr = (uint8_t)(bench_rnd(rs) % 10 < 4 ? 1 + bench_rnd(rs) % 2 : 0);
	info->route = bench_rnd(rs) % 10 < 3;
	bench_gen_src(info->src, src);
	snprintf(info->branch, sizeof(info->branch), "z9hG4bK-%016" PRIx64, bench_rnd(rs));
	snprintf(info->callid, sizeof(info->callid), "%016" PRIx64 "@%s", bench_rnd(rs), src);

#define PUT(...) (n += (size_t)snprintf(out + n, cap - n, __VA_ARGS__))
	PUT("INVITE sip:");
	info->num_off[0] = (uint16_t)n;
	PUT("%s@" BENCH_GEN_ROUTER ":5060;user=phone SIP/2.0\r\n", num);
	if (info->route)
		PUT("Route: <sip:" BENCH_GEN_ROUTER ";lr>\r\n");
	PUT("Via: SIP/2.0/UDP %s:5060;branch=%s;rport\r\n", src, info->branch);
	for (unsigned v = 1; v < info->n_via; v++) {
		unsigned h = (unsigned)(bench_rnd(rs) % 250) + 1;
		if (v % 2)
			PUT("Via: SIP/2.0/UDP 203.0.113.%u:5060;received=192.0.2.%u;"
			    "branch=z9hG4bK%012" PRIx64 "\r\n", h, h, bench_rnd(rs) >> 16);
		else
			PUT("Via: SIP/2.0/UDP sbc%u.carrier.example.com;branch=z9hG4bK%012" PRIx64
			    "\r\n", h, bench_rnd(rs) >> 16);
	}
	for (unsigned r = 0; r < info->n_rr; r++)
		PUT("Record-Route: <sip:203.0.113.%u;lr;ftag=%08" PRIx64 ">\r\n",
				(unsigned)(bench_rnd(rs) % 250) + 1, bench_rnd(rs) >> 32);
	PUT("Max-Forwards: 69\r\n");
	PUT("From: \"Caller\" <sip:+4420794%06u@%s>;tag=%08" PRIx64 "\r\n",
			(unsigned)(bench_rnd(rs) % 1000000), src, bench_rnd(rs) >> 32);
	PUT("To: <sip:");
	info->num_off[1] = (uint16_t)n;
	PUT("%s@" BENCH_GEN_ROUTER ";user=phone>\r\n", num);
	PUT("Call-ID: %s\r\n", info->callid);
	PUT("CSeq: %u INVITE\r\n", (unsigned)(1 + bench_rnd(rs) % 100));
	PUT("Contact: <sip:+4420794000000@%s:%u>\r\n", src, info->sport);
	PUT("Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\n");
	PUT("Content-Type: application/sdp\r\n");

	sl = (size_t)snprintf(sdp, sizeof(sdp),
			"v=0\r\no=- %" PRIu64 " 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\n"
			"t=0 0\r\nm=audio %u RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\n"
			"a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n",
			bench_rnd(rs) % 1000000, src, src, (unsigned)(10000 + bench_rnd(rs) % 50000));
	/* Pad with attribute lines until the message reaches its target size. */
	while (n + 22 + sl < target && sl + 40 < sizeof(sdp))
		sl += (size_t)snprintf(sdp + sl, sizeof(sdp) - sl, "a=x-pad:%012" PRIx64 "\r\n",
				bench_rnd(rs) >> 16);
	PUT("Content-Length: %zu\r\n\r\n", sl);
#undef PUT
	memcpy(out + n, sdp, sl);
	n += sl;
	info->len = (uint16_t)n;
	return n;
}

/* Put number (info->num_len characters) in a copy of the message at buf. */
static inline void
bench_gen_set_number(char *buf, const struct bench_gen_msg *info, const char *number)
{
	memcpy(buf + info->num_off[0], number, info->num_len);
	memcpy(buf + info->num_off[1], number, info->num_len);
}

#endif
