/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium/randombytes.h>
#include <sodium/utils.h>

#define KEY_FILE_MAX 4096

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *
file_type(mode_t m)
{
	return S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device" :
		S_ISBLK(m) ? "a block device" : S_ISDIR(m) ? "a directory" :
		S_ISSOCK(m) ? "a socket" : "not a regular file";
}

/* Parse the text of a key file (NUL-terminated) into kf. */
static int
parse(const char *path, char *text, struct dp_key_file *kf, char *err, size_t errlen)
{
	unsigned lineno = 0, keys = 0;
	char *save = NULL;

	memset(kf, 0, sizeof(*kf));
	/* strtok_r skips empty lines, so count them by hand. */
	for (char *line = text; line != NULL;) {
		char *nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		lineno++;
		char *hash = strchr(line, '#');
		if (hash != NULL)
			*hash = '\0';
		char *tok = strtok_r(line, " \t\r", &save);
		if (tok != NULL) {
			uint8_t *dst = keys == 0 ? kf->cur : kf->prev;
			int rc;
			if (keys == 2 || strtok_r(NULL, " \t\r", &save) != NULL)
				return fail(err, errlen, "%s:%u: expected at most two lines of one key "
						"each", path, lineno);
			rc = sip_key_parse_hex(tok, strlen(tok), dst);
			if (rc == -1)
				return fail(err, errlen, "%s:%u: a key is 32 hex digits (128 bits)",
						path, lineno);
			if (rc == -2)
				return fail(err, errlen, "%s:%u: weak key refused (too few distinct "
						"digits): generate one with 'od -An -tx1 -N16 "
						"/dev/urandom | tr -d \" \\n\"'", path, lineno);
			keys++;
		}
		line = nl != NULL ? nl + 1 : NULL;
	}
	if (keys == 0)
		return fail(err, errlen, "%s: no key in the file", path);
	kf->has_prev = keys == 2;
	if (kf->has_prev && sodium_memcmp(kf->cur, kf->prev, SIP_KEY_LEN) == 0)
		kf->has_prev = false;
	return 0;
}

int
dp_key_file_read(const char *path, struct dp_key_file *kf, char *err, size_t errlen)
{
	char text[KEY_FILE_MAX + 1];
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd, rc;

	/* O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return fail(err, errlen, "secret file %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		rc = fail(err, errlen, "secret file %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = fail(err, errlen, "secret file %s: %s, not a regular file", path,
				file_type(st.st_mode));
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		rc = fail(err, errlen, "secret file %s: mode %04o lets group or others read or "
				"write it (chmod 600)", path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		rc = fail(err, errlen, "secret file %s: owned by uid %u, neither root nor us (%u)",
				path, (unsigned)st.st_uid, (unsigned)geteuid());
		goto out;
	}
	if (st.st_size > KEY_FILE_MAX) {
		rc = fail(err, errlen, "secret file %s: larger than %d bytes", path, KEY_FILE_MAX);
		goto out;
	}
	while (got < KEY_FILE_MAX && (n = read(fd, text + got, KEY_FILE_MAX - got)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = fail(err, errlen, "secret file %s: %s", path, strerror(errno));
			goto out;
		}
		got += (size_t)n;
	}
	text[got] = '\0';
	if (memchr(text, '\0', got) != NULL) {
		rc = fail(err, errlen, "secret file %s: binary content (expected hex text)", path);
		goto out;
	}
	rc = parse(path, text, kf, err, errlen);
out:
	sodium_memzero(text, sizeof(text));
	close(fd);
	return rc;
}

void
dp_key_random(uint8_t raw[SIP_KEY_LEN])
{
	do
		randombytes_buf(raw, SIP_KEY_LEN);
	while (sip_key_is_weak(raw));
}

bool
dp_keyring_next(const struct sip_keyring *old, const struct dp_key_file *kf,
		struct sip_keyring *out)
{
	memset(out, 0, sizeof(*out));
	sip_key_set(&out->cur, kf->cur);
	if (kf->has_prev) {
		sip_key_set(&out->prev, kf->prev);
		out->has_prev = true;
	} else if (old != NULL && sodium_memcmp(old->cur.k, kf->cur, SIP_KEY_LEN) != 0) {
		out->prev = old->cur;
		out->has_prev = true;
	} else if (old != NULL && old->has_prev) {
		/* Same key again: a rotation's grace period goes on. */
		out->prev = old->prev;
		out->has_prev = true;
	}
	if (old == NULL)
		return true;
	return sodium_memcmp(&old->cur, &out->cur, sizeof(out->cur)) != 0 ||
		old->has_prev != out->has_prev ||
		(out->has_prev && sodium_memcmp(&old->prev, &out->prev, sizeof(out->prev)) != 0);
}
