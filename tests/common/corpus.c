/* SPDX-License-Identifier: BSD-3-Clause */
#include "corpus.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *
corpus_dir(void)
{
	const char *d = getenv("SIPLINE_CORPUS");
	return (d != NULL && d[0] != '\0') ? d : NULL;
}

int
test_read_file(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	char *b = NULL;
	int err;

	if (f == NULL)
		return -errno;
	if (fstat(fileno(f), &st) != 0) {
		err = -errno;
		goto out;
	}
	b = malloc((size_t)st.st_size + 1);
	if (b == NULL) {
		err = -ENOMEM;
		goto out;
	}
	if (fread(b, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		err = -EIO;
		goto out;
	}
	b[st.st_size] = '\0';
	*buf = b;
	*len = (size_t)st.st_size;
	b = NULL;
	err = 0;
out:
	free(b);
	fclose(f);
	return err;
}

int
corpus_read(const char *rel, char **buf, size_t *len)
{
	const char *dir = corpus_dir();
	char path[4096];

	if (dir == NULL)
		return -ENOENT;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, rel) >= sizeof(path))
		return -ENAMETOOLONG;
	return test_read_file(path, buf, len);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
corpus_list(const char *sub, const char *suffix, char ***names, size_t *n)
{
	const char *dir = corpus_dir();
	size_t slen = strlen(suffix), count = 0, room = 0;
	char path[4096], **v = NULL;
	struct dirent *de;
	DIR *d;
	int err = 0;

	*names = NULL;
	*n = 0;
	if (dir == NULL)
		return -ENOENT;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, sub) >= sizeof(path))
		return -ENAMETOOLONG;
	d = opendir(path);
	if (d == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		size_t nlen = strlen(de->d_name);
		char full[4096 + 256];
		struct stat st;

		if (nlen < slen || strcmp(de->d_name + nlen - slen, suffix) != 0)
			continue;
		snprintf(full, sizeof(full), "%s/%s", path, de->d_name);
		if (stat(full, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (count == room) {
			room = room ? 2 * room : 64;
			char **nv = realloc(v, room * sizeof(*v));
			if (nv == NULL) {
				err = -ENOMEM;
				break;
			}
			v = nv;
		}
		if ((v[count] = strdup(de->d_name)) == NULL) {
			err = -ENOMEM;
			break;
		}
		count++;
	}
	closedir(d);
	if (err != 0) {
		corpus_list_free(v, count);
		return err;
	}
	if (count)
		qsort(v, count, sizeof(*v), cmp_names);
	*names = v;
	*n = count;
	return 0;
}

void
corpus_list_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}
