/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TEST_AOR_CASES_H
#define TEST_AOR_CASES_H

/*
 * The AOR key normalisation (sip/sip_aor.h) as a table, shared by the
 * dataplane's lookup tests (tests/dataplane/test_dp_loc.c) and the
 * registrar's (tests/control/test_cp_registrar.c): a binding stored by
 * the registrar for one URI must be found by the dataplane for every URI
 * of the same row, and never for another row's.
 */

struct aor_case {
	const char *name;
	const char *user;    /* as written in a URI */
	const char *host;
	const char *key;     /* the key both sides must build */
};

static const struct aor_case aor_cases[] = {
	{"plain", "alice", "example.com", "alice@example.com"},
	{"host case folded", "alice", "EXAMPLE.Com", "alice@example.com"},
	{"user case kept", "Alice", "example.com", "Alice@example.com"},
	{"escaped unreserved decoded", "%61lice", "example.com", "alice@example.com"},
	{"escaped upper hex decoded", "%41lice", "example.com", "Alice@example.com"},
	{"reserved escape kept upper", "a%2fb", "example.com", "a%2Fb@example.com"},
	{"reserved escape already upper", "a%2Fb", "example.com", "a%2Fb@example.com"},
	{"escaped space kept", "a%20b", "example.com", "a%20b@example.com"},
	{"telephone number", "+4930123", "example.com", "+4930123@example.com"},
	{"IPv4 host", "bob", "192.0.2.1", "bob@192.0.2.1"},
	{"IPv6 host folded", "bob", "2001:DB8::1", "bob@2001:db8::1"},
	{"escaped digits decoded", "%31%32x", "example.com", "12x@example.com"},
};

#define AOR_CASES (sizeof(aor_cases) / sizeof(aor_cases[0]))

#endif
