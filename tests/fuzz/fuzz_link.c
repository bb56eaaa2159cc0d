/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the control link's frame reader (sl_rx,
 * sl_link_recv()). The input is written to one end of a socketpair in
 * pieces whose sizes come from the input itself; the other end reads
 * frames. Every frame handed out must be whole and within the limits;
 * anything else must end in an error, never in a read past the buffer.
 * STATS payloads are walked as the control plane walks them; GW_ADDRS
 * payloads go through sl_gw_addrs_parse() and, when accepted, every name's
 * targets are read as the dataplane reads them; LOC_SET payloads (with
 * their optional Path tail) through dp_loc_from_link(), the decoder of the
 * dataplane and of the control plane's router, and every byte of the
 * binding it accepts is read.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dp_loc.h"
#include "sl_link_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sl_rx rx;

static void
walk_stats(const struct sl_rx *r)
{
	const struct sl_stats *h = sl_rx_payload(r);
	if (r->hdr.len < sizeof(*h))
		return;
	const unsigned char *p = (const unsigned char *)(h + 1);
	const unsigned char *end = (const unsigned char *)h + r->hdr.len;
	volatile uint64_t sum = 0;
	for (uint32_t i = 0; i < h->n; i++) {
		struct sl_stat st;
		if ((size_t)(end - p) < sizeof(st))
			break;
		memcpy(&st, p, sizeof(st));
		if ((size_t)(end - p) < SL_STAT_SIZE(st.name_len))
			break;
		for (unsigned k = 0; k < st.name_len; k++)
			sum += p[sizeof(st) + k];
		p += SL_STAT_SIZE(st.name_len);
	}
	(void)sum;
}

static void
walk_gw_addrs(const struct sl_rx *r)
{
	struct sl_gw_addrs h;
	const struct sl_gw_name *n;
	const struct sl_gw_target *t;
	volatile uint64_t sum = 0;

	if (sl_gw_addrs_parse(sl_rx_payload(r), r->hdr.len, &h, &n, &t) != 0)
		return;
	for (uint32_t i = 0; i < h.n_names; i++) {
		sum += strlen(n[i].host);
		for (uint32_t k = n[i].first; k < (uint32_t)n[i].first + n[i].count; k++)
			sum += t[k].addr[15] + t[k].port;
	}
	(void)sum;
}

static void
walk_loc_set(const struct sl_rx *r)
{
	struct dp_binding b;
	char err[96];
	volatile uint64_t sum = 0;

	if (dp_loc_from_link(sl_rx_payload(r), r->hdr.len, &b, err, sizeof(err)) != 0)
		return;
	if (b.aor_len > DP_AOR_MAX || b.contact_len > DP_CONTACT_MAX || b.path_len > DP_PATH_MAX)
		abort();
	for (unsigned i = 0; i < b.aor_len; i++)
		sum += (unsigned char)b.aor[i];
	for (unsigned i = 0; i < b.path_len; i++)
		sum += (unsigned char)b.path[i];
	(void)sum;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0)
		abort();
	sl_rx_init(&rx);
	size_t off = 0;
	unsigned step = 0;
	int rc = 0;
	while (rc >= 0) {
		if (off < size) {
			/* Piece sizes 1..64 taken from the data: split headers and payloads anywhere. */
			size_t piece = 1 + (data[(off + step) % size] & 63);
			if (piece > size - off)
				piece = size - off;
			ssize_t w = write(sv[0], data + off, piece);
			if (w > 0)
				off += (size_t)w;
			step++;
		} else if (sv[0] >= 0) {
			close(sv[0]); /* the peer leaves: the reader must see -EPIPE */
			sv[0] = -1;
		}
		rc = sl_link_recv(sv[1], &rx);
		if (rc == 1) {
			if (rx.hdr.magic != SL_LINK_MAGIC || rx.hdr.version != SL_LINK_VERSION ||
					rx.hdr.len > SL_LINK_MAX_PAYLOAD ||
					rx.have != sizeof(struct sl_hdr) + rx.hdr.len)
				abort();
			if (rx.hdr.type == SL_MSG_STATS)
				walk_stats(&rx);
			if (rx.hdr.type == SL_MSG_GW_ADDRS)
				walk_gw_addrs(&rx);
			if (rx.hdr.type == SL_MSG_LOC_SET)
				walk_loc_set(&rx);
			sl_rx_reset(&rx);
			rc = 0;
		} else if (rc == 0 && sv[0] < 0 && off >= size) {
			/* Nothing more will come: a half frame stays half. */
			break;
		}
	}
	if (rc < 0 && rc != -EPIPE && rc != -EPROTO)
		abort();
	sl_rx_reset(&rx);
	if (sv[0] >= 0)
		close(sv[0]);
	close(sv[1]);
	return 0;
}
