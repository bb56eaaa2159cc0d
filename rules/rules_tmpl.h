/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef RULES_TMPL_H
#define RULES_TMPL_H

/*
 * Contact and header templates, cut at their variables when a plan is
 * prepared (compiled or loaded), so a decision copies runs of text and
 * values and never looks for '$' or reads a variable's name.
 *
 * A template becomes segments: each is a run of literal text, then the
 * variable (TV_*) whose value follows it; the last one has TV_END. "$$"
 * and anything that is not a well-formed variable are literal text, as
 * the matcher always wrote them. A contact's segments carry its whole
 * rendering: "<" before the URI, ">" and its ";q=" and ";expires="
 * parameters after it; a header's end with its CRLF. The segments of a
 * rule program's contacts (and of its headers) follow one another, so
 * the program's first one locates them all.
 */

#include <stdint.h>

#include "rules_util.h"

struct rules_plan;

#define TV_END 0xffu

struct rules_tseg {
	uint32_t off; /* literal text in the plan's tpool */
	uint32_t len;
	uint32_t var; /* TV_* written after the literal, TV_END: last segment */
};

/* Cut every contact and header template of p (p->tmpl_*). 0 or -ENOMEM. */
RULES_INTERNAL int rules_tmpl_compile(struct rules_plan *p);

#endif
