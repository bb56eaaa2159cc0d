/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIP_TEST_H
#define SIP_TEST_H

/*
 * Shared by the libsip unit tests (one executable, test_sip, one cmocka
 * group per source file; `test_sip GROUP` runs one group, meson runs each
 * group as its own test).
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "corpus.h"
#include "guard.h"
#include "rng.h"
#include "sip.h"

/* The groups. Each returns the number of failed tests. */
int test_group_corpus(void);
int test_group_captures(void);
int test_group_scan(void);
int test_group_parse_ref(void);
int test_group_parse(void);
int test_group_span(void);
int test_group_uri(void);
int test_group_via(void);
int test_group_naddr(void);
int test_group_scalar(void);
int test_group_addr(void);
int test_group_build(void);
int test_group_validate(void);
int test_group_sign(void);
int test_group_hash(void);

/*
 * Run fn once per row of a table as a cmocka test named after the row:
 * every row struct starts with `const char *name`; fn gets the row in *state.
 */
int run_rows(const char *group, const void *rows, size_t n, size_t row_size,
		CMUnitTestFunction fn);
#define RUN_ROWS(group, rows, fn) \
	run_rows((group), (rows), sizeof(rows) / sizeof((rows)[0]), sizeof((rows)[0]), (fn))

/*
 * Use scanner variant name for sip_parse(). If this CPU lacks it, the
 * test is reported as skipped (never as passed). SIPLINE_TEST_SKIP_VARIANTS
 * (comma-separated names) pretends the CPU lacks some, to exercise that path.
 */
void test_use_variant(const char *name);
/* The corpus is part of the test suite: without it a test fails, never skips. */
#define test_no_corpus() \
	fail_msg("SIPLINE_CORPUS is not set or has no messages (meson sets ../shared/corpus)")
/* The scanner sip/ chose at start-up, read by main() before any test selects one. */
extern const struct sip_scanner *test_startup_scanner;
/* 1 if variant name runs on this CPU (and is not masked by the variable above). */
int test_variant_supported(const struct sip_scanner *s);

/*
 * Guard-page buffers shared by the tests: TEST_SLOTS inputs that can be
 * alive at once, plus one output. Each holds up to TEST_BUF_CAP bytes.
 */
#define TEST_SLOTS 4
#define TEST_BUF_CAP (SIP_MAX_MSG + 8192)
struct guard_buf *test_slot(unsigned slot);
struct guard_buf *test_out(void);

/* Copy len bytes flush against slot's guard page and parse them as a datagram. */
int test_parse_slot(unsigned slot, struct sip_msg *m, const char *text, size_t len);
#define test_parse(m, text, len) test_parse_slot(0, (m), (text), (len))
#define PARSE_LIT(m, lit) test_parse((m), (lit), sizeof(lit) - 1)

/* Read a corpus file; the test is skipped when SIPLINE_CORPUS is not set. */
void test_corpus_read(const char *rel, char **buf, size_t *len);

/* How a corpus file becomes the datagram a test parses. */
enum test_wire {
	WIRE_RAW,          /* bytes as in the archive */
	WIRE_5118,         /* RFC 5118 archive text made into a datagram (test_make_wire()) */
	WIRE_CRLF_ONLY,    /* RFC 5118: LF -> CRLF and nothing else (keeps the quirks) */
	WIRE_ADD_CRLF,     /* raw plus one CRLF (baddn closed like ersip's copy) */
};
/* Build the wire form of raw[0..len) into out (cap bytes); returns its length. */
size_t test_make_wire(enum test_wire w, const char *raw, size_t len, char *out, size_t cap);

/*
 * Every message of the corpus, loaded once: RFC 4475 files, RFC 5118 files
 * (archive bytes and wire form), fuzz seeds and the UDP payloads of the
 * captures. Empty when SIPLINE_CORPUS is not set.
 */
enum test_msg_kind { MSG_RFC, MSG_SEED, MSG_CAPTURE };
struct test_msg {
	char name[96];
	enum test_msg_kind kind;
	char *buf;
	size_t len;
};
const struct test_msg *test_messages(size_t *n);

/*
 * One random edit of msg[0..*len) in place, with room for cap bytes: a bit
 * flip, a random byte, an inserted LF/':'/CR/SP/HT, a deleted run, a run
 * repeated up to 8 times (long runs of header lines), a truncation, or a
 * CRLF turned into LF and back.
 */
void test_mutate(struct rng *r, char *msg, size_t *len, size_t cap);

/* View equality with a readable failure message (bytes escaped). */
void test_assert_view(struct sip_str got, const char *want, size_t want_len, const char *expr,
		const char *file, int line);
#define assert_view(got, lit) \
	test_assert_view((got), (lit), sizeof(lit) - 1, #got, __FILE__, __LINE__)
#define assert_view_n(got, want, len) \
	test_assert_view((got), (want), (len), #got, __FILE__, __LINE__)
#define assert_view_str(got, cstr) \
	test_assert_view((got), (cstr), strlen(cstr), #got, __FILE__, __LINE__)

/* Printable rendering of bytes (\r, \n, \xNN) into out; returns out. */
const char *test_escape(const char *p, size_t len, char *out, size_t cap);

/* Line end for message literals: "INVITE sip:a@b SIP/2.0" CRLF "Via: ..." CRLF ... */
#define CRLF "\r\n"

/*
 * A header value: copy seed into buf (cap bytes) with one to three random edits (replace,
 * insert or delete a byte taken from the characters that matter to SIP's
 * grammar): returns the new length.
 */
size_t test_mutate_value(struct rng *r, const char *seed, char *buf, size_t cap);

/*
 * runs random edits (test_mutate_value(), fixed seed) of values drawn from
 * seeds[0..n), each handed to check in a heap block that ends where the
 * value does (ASan sees any over-read). check returns 0, or -1 to fail the
 * test, and counts in *engaged the times a fast path took the value.
 * Returns that count.
 */
typedef int (*test_value_check)(const char *p, const char *end, unsigned *engaged);
unsigned test_mutate_values(const char *const *seeds, size_t n, unsigned runs, uint64_t seed,
		test_value_check check);

#endif
