/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TEST_PCAP_H
#define TEST_PCAP_H

/*
 * Just enough pcap/pcapng reading to pull UDP payloads (the SIP messages)
 * out of the corpus captures: Ethernet (with VLAN tags), Linux cooked,
 * raw IPv4/IPv6 and BSD loopback link types; unfragmented IPv4 and IPv6.
 * Anything else is skipped, never an error.
 */

#include <stddef.h>
#include <stdint.h>

struct pcap_udp {
	const uint8_t *payload;
	size_t len;
	uint16_t sport;
	uint16_t dport;
	unsigned index; /* packet number in the capture, from 0 */
};

typedef void (*pcap_udp_fn)(const struct pcap_udp *u, void *ctx);

/*
 * Call fn for each UDP payload in the capture cap[0..len). Returns the
 * number of payloads reported, or -1 if cap is not a pcap/pcapng file.
 */
int pcap_udp_foreach(const uint8_t *cap, size_t len, pcap_udp_fn fn, void *ctx);

#endif
