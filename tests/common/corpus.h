/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TEST_CORPUS_H
#define TEST_CORPUS_H

/*
 * Access to the shared SIP corpus (../shared/corpus). Tests find it through
 * the SIPLINE_CORPUS environment variable, which meson's test_env sets; the
 * files are external material and are never copied into the repository.
 */

#include <stddef.h>

/* The corpus directory ($SIPLINE_CORPUS), or NULL if unset or empty. */
const char *corpus_dir(void);

/*
 * Read a whole file into a malloc'd buffer (*buf, *len). One NUL byte is
 * appended after the data for the convenience of debugging; it is not
 * counted in *len and must never be relied on (messages hold NULs).
 * Returns 0 or -errno.
 */
int test_read_file(const char *path, char **buf, size_t *len);

/* test_read_file() of corpus_dir()/rel. -ENOENT if the corpus is not set. */
int corpus_read(const char *rel, char **buf, size_t *len);

/*
 * Names (not paths) of the regular files in corpus_dir()/sub whose name
 * ends in suffix ("" for all), sorted. Returns 0 or -errno; free with
 * corpus_list_free().
 */
int corpus_list(const char *sub, const char *suffix, char ***names, size_t *n);
void corpus_list_free(char **names, size_t n);

#endif
