/* SPDX-License-Identifier: BSD-3-Clause */
/* Compiler entry points: text in memory or a file, streamed. */
#include <errno.h>
#include <string.h>

#include "rules_build.h"

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

struct rules_plan *
rules_compile_text(const char *text, size_t len, const char *source,
		const struct rules_compile_opts *opts, struct rules_errors *errs)
{
	struct bld *b = bld_new(source != NULL ? source : "dialplan", opts);

	if (b == NULL)
		return NULL;
	bld_feed_text(b, text, len);
	return bld_finish(b, errs);
}

struct rules_plan *
rules_compile_file(const char *path, const struct rules_compile_opts *opts,
		struct rules_errors *errs)
{
	/* Messages name the file as given; the plan's default name is its base name. */
	struct rules_compile_opts o = {0};
	struct bld *b;

	if (opts != NULL)
		o = *opts;
	b = bld_new(path, &o);
	if (b == NULL)
		return NULL;
	if (o.name == NULL && !b->have_name)
		snprintf(b->name, sizeof(b->name), "%s", base_name(path));
	(void)bld_feed_file(b, path);
	if (!b->have_name && o.name == NULL)
		b->have_name = true;
	return bld_finish(b, errs);
}
