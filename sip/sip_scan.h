/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIP_SCAN_H
#define SIP_SCAN_H

/*
 * Structural scanner: one pass over the header section that finds every
 * line end (LF) and the first ':' of each line, stopping at the empty line
 * that ends the header section. The message body is never scanned.
 *
 * Variants (scalar, SSE4.2, AVX2, AVX-512BW) sit behind one function
 * pointer chosen once at start-up from CPU flags. The scalar variant is the
 * specification: every other variant must produce identical output for
 * every input, and none reads outside buf[0..len).
 */

#include <stdint.h>

#define SIP_SCAN_NO_COLON 0xffffu

struct sip_line {
	uint16_t start; /* offset of the line's first byte */
	uint16_t colon; /* offset of the line's first ':', or SIP_SCAN_NO_COLON */
	uint16_t lf;    /* offset of the LF that ends the line */
};

/*
 * Scan buf[start..len) (len <= 65535). Lines end at LF; a CR before the LF
 * belongs to the line. The first line that is empty (nothing, or a lone CR,
 * before its LF) ends the scan.
 * lines: room for cap entries.
 * Returns the number of non-empty, LF-terminated lines found and sets *body
 * to the offset just past the empty line's LF, or to 0 when buf ends before
 * an empty line (the lines found so far are still reported; bytes after
 * the last LF are not a line). Returns -SIP_E_TOO_MANY_HDRS when there are
 * more than cap lines.
 */
typedef int (*sip_scan_fn)(const char *buf, uint32_t start, uint32_t len,
		struct sip_line *lines, unsigned cap, uint32_t *body);

struct sip_scanner {
	const char *name;    /* "scalar", "sse42", "avx2", "avx512" */
	sip_scan_fn scan;
	int (*supported)(void); /* nonzero if this CPU can run it */
};

/* All variants compiled in, best last; count in *n. */
const struct sip_scanner *sip_scanners(unsigned *n);
/* The variant named name, or NULL if unknown. */
const struct sip_scanner *sip_scanner_by_name(const char *name);
/* The variant in use by sip_parse(). Chosen at start-up (best supported). */
const struct sip_scanner *sip_scanner_active(void);
/*
 * Use variant name for sip_parse() from now on ("best" picks the best
 * supported). Returns 0, or -1 if unknown or unsupported on this CPU.
 * Not thread-safe: call at start-up before workers run.
 */
int sip_scanner_select(const char *name);

extern sip_scan_fn sip_scan_active_fn;

int sip_scan_scalar(const char *buf, uint32_t start, uint32_t len,
		struct sip_line *lines, unsigned cap, uint32_t *body);
int sip_scan_sse42(const char *buf, uint32_t start, uint32_t len,
		struct sip_line *lines, unsigned cap, uint32_t *body);
int sip_scan_avx2(const char *buf, uint32_t start, uint32_t len,
		struct sip_line *lines, unsigned cap, uint32_t *body);
int sip_scan_avx512(const char *buf, uint32_t start, uint32_t len,
		struct sip_line *lines, unsigned cap, uint32_t *body);

#endif
