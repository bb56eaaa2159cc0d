/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The serialized form: a plan loaded from its blob (here or in another
 * process) behaves exactly like the compiled one; a damaged blob is
 * refused with a message, never trusted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rules_impl.h"
#include "rules_test.h"

/* A plan that uses every table: digit, generic, regex (indexes and filters), lists, groups. */
static char *
mixed_plan(unsigned n_prefix)
{
	struct rt_rng g = {99};
	size_t cap = 4096 + (size_t)n_prefix * 64, n = 0;
	char *s = malloc(cap);

	assert_non_null(s);
	n += (size_t)snprintf(s + n, cap - n,
		"plan mixed\nversion 3\n"
		"group a 192.0.2.1;weight=2 192.0.2.2\ngroup b gw.example.net;transport=tls\n"
		"5 src 198.51.100.0/24 drop\n"
		"10 regex ^\\+49(1[5-7][0-9]+)$ repl 0\\1 "
		"redirect contact sip:$user@m.example q=0.5\n"
		"10 regex ^00 from regex ^anon reject 403\n"
		"20 domain exact example.com prefix 1 forward b header \"X-D: $domain\"\n"
		"30 prefix alice subst ^alice(.*)$ bob\\1 pass attrs who=alice\n"
		"40 method MESSAGE drop\n"
		"1000 reject 404\n");
	for (unsigned i = 0; i < n_prefix; i++) {
		char v[16];
		unsigned len = 2 + rt_below(&g, 8);
		for (unsigned j = 0; j < len; j++)
			v[j] = (char)('0' + rt_below(&g, 10));
		v[len] = '\0';
		switch (rt_below(&g, 5)) {
		case 0:
			n += (size_t)snprintf(s + n, cap - n,
					"%u exact +%s strip 1 add 00 forward a\n",
					100 + rt_below(&g, 3), v);
			break;
		case 1:
			n += (size_t)snprintf(s + n, cap - n, "%u prefix +%s method INVITE "
					"redirect contact sip:$user@gw%u.example\n",
					100 + rt_below(&g, 3), v, rt_below(&g, 5));
			break;
		default:
			n += (size_t)snprintf(s + n, cap - n, "%u prefix +%s forward %s\n",
					100 + rt_below(&g, 3), v, rt_below(&g, 2) ? "a" : "b");
			break;
		}
	}
	return s;
}

static void
random_query(struct rt_rng *g, char *user, size_t cap, struct tq *q)
{
	static const char *const pre[] = {"+49", "+4915", "00", "alice", "+1", "+", "1", ""};
	const char *p = pre[rt_below(g, 8)];
	size_t n = (size_t)snprintf(user, cap, "%s", p);
	unsigned more = rt_below(g, 12);

	for (unsigned i = 0; i < more && n + 1 < cap; i++)
		user[n++] = (char)('0' + rt_below(g, 10));
	user[n] = '\0';
	memset(q, 0, sizeof(*q));
	q->user = user;
	q->domain = rt_below(g, 4) ? "example.com" : "other.net";
	q->from = rt_below(g, 5) ? "bob" : "anonymous";
	q->method = rt_below(g, 6) ? "INVITE" : "MESSAGE";
	q->src = rt_below(g, 8) ? "192.0.2.5" : "198.51.100.9";
	q->callid = rt_next(g);
}

/* A digest of everything a result says, to compare plans and processes. */
static uint64_t
result_digest(const struct rules_result *r, int rc)
{
	uint64_t h = (uint64_t)rc * 31 + r->rule;
	const struct rules_view *v[] = {&r->user, &r->reason, &r->headers, &r->attrs, &r->gw_host};

	h = h * 131 + r->action;
	h = h * 131 + r->code;
	h = h * 131 + (uint64_t)(int64_t)r->gw;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		for (uint32_t j = 0; j < v[i]->len; j++)
			h = h * 131 + (unsigned char)v[i]->p[j];
	for (unsigned c = 0; c < r->n_contacts; c++)
		for (uint32_t j = 0; j < r->contact[c].len; j++)
			h = h * 131 + (unsigned char)r->contact[c].p[j];
	return h;
}

static uint64_t
run_queries(const struct rules_plan *p, unsigned n, uint64_t seed)
{
	struct rules_scratch *s = rules_scratch_create(p);
	struct rt_rng g = {seed};
	uint64_t total = 0;

	assert_non_null(s);
	for (unsigned i = 0; i < n; i++) {
		char user[64], buf[512];
		struct tq in;
		struct rules_query q;
		struct rules_result r;
		random_query(&g, user, sizeof(user), &in);
		rt_query(&q, &in);
		int rc = rules_match(p, s, &q, NULL, &r, buf, sizeof(buf));
		total = total * 1000003 + result_digest(&r, rc);
	}
	rules_scratch_free(s);
	return total;
}

static void
test_round_trip(void **state)
{
	char *text = mixed_plan(5000);
	struct tp t = rt_compile(text);
	void *blob, *blob2;
	size_t len, len2;
	struct rules_errors e = {0};

	(void)state;
	assert_int_equal(rules_plan_serialize(t.p, &blob, &len), 0);
	struct rules_plan *p = rules_plan_load(blob, len, &e);
	if (p == NULL)
		rules_errors_print(&e, stderr);
	assert_non_null(p);
	assert_int_equal(e.n, 0);
	struct rules_plan_info a, b;
	rules_plan_info(t.p, &a);
	rules_plan_info(p, &b);
	assert_string_equal(a.name, b.name);
	assert_string_equal(a.source, b.source);
	assert_string_equal(a.sha256, b.sha256);
	assert_int_equal(a.version, b.version);
	assert_int_equal(a.n_rules, b.n_rules);
	assert_int_equal(a.n_prefix, b.n_prefix);
	assert_int_equal(a.n_regex, b.n_regex);
	assert_int_equal(a.n_gateways, b.n_gateways);
	assert_int_equal(run_queries(t.p, 20000, 5), run_queries(p, 20000, 5));
	/* Serializing the loaded plan gives the same bytes. */
	assert_int_equal(rules_plan_serialize(p, &blob2, &len2), 0);
	assert_int_equal(len, len2);
	assert_memory_equal(blob, blob2, len);
	free(blob2);

	/*
	 * Another process loads the blob from a file and gets the same answers:
	 * a fresh program (exec, its own address layout), so a pointer that
	 * slipped into the blob could not work there by luck.
	 */
	char path[] = "/tmp/rules_blob_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, blob, len), (ssize_t)len);
	close(fd);
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], STDOUT_FILENO);
		execl("/proc/self/exe", "test_rules", "--load-blob", path, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	char out[64] = {0};
	ssize_t got = read(fds[0], out, sizeof(out) - 1);
	close(fds[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	unlink(path);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(got > 0);
	assert_int_equal(strtoull(out, NULL, 16), run_queries(t.p, 20000, 5));

	rules_plan_free(p);
	free(blob);
	rt_free(&t);
	free(text);
}

static void
expect_refused(const void *blob, size_t len, const char *what)
{
	struct rules_errors e = {0};
	struct rules_plan *p = rules_plan_load(blob, len, &e);

	if (p != NULL) {
		rules_plan_free(p);
		fail_msg("damaged blob loaded (%s)", what);
	}
	assert_true(e.n >= 1);
	if (strstr(e.msg[0], what) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", e.msg[0], what);
	rules_errors_clear(&e);
}

static void
test_damaged(void **state)
{
	char *text = mixed_plan(200);
	struct tp t = rt_compile(text);
	char *blob, *copy;
	size_t len;

	(void)state;
	assert_int_equal(rules_plan_serialize(t.p, (void **)&blob, &len), 0);
	copy = malloc(len);
	assert_non_null(copy);
	expect_refused(blob, 10, "too short");
	expect_refused(blob, len - 8, "truncated");
	memcpy(copy, blob, len);
	copy[0] ^= 1;
	expect_refused(copy, len, "not a compiled dialplan");
	memcpy(copy, blob, len);
	copy[8] ^= 1;
	expect_refused(copy, len, "another version");
	for (size_t at = 200; at < len; at += len / 7) {
		memcpy(copy, blob, len);
		copy[at] ^= 0x40;
		expect_refused(copy, len, "checksum mismatch");
	}
	free(copy);
	free(blob);
	rt_free(&t);
	free(text);
}

/*
 * Bytes changed and the checksum recomputed, as a buggy or hostile
 * producer would: the loader's range checks must refuse what is
 * inconsistent, and whatever loads must match without reading outside
 * its tables (ASan watches).
 */
static void
test_resealed(void **state)
{
	char *text = mixed_plan(300);
	struct tp t = rt_compile(text);
	struct rt_rng g = {4242};
	char *blob, *copy;
	size_t len;
	unsigned loaded = 0, refused = 0;

	(void)state;
	assert_int_equal(rules_plan_serialize(t.p, (void **)&blob, &len), 0);
	copy = malloc(len);
	assert_non_null(copy);
	for (int i = 0; i < 400; i++) {
		memcpy(copy, blob, len);
		unsigned flips = 1 + rt_below(&g, 4);
		for (unsigned f = 0; f < flips; f++) {
			size_t at = 64 + rt_below(&g, (uint32_t)(len - 64));
			copy[at] = (char)rt_next(&g);
		}
		assert_int_equal(rules_blob_reseal(copy, len), 0);
		struct rules_errors e = {0};
		struct rules_plan *p = rules_plan_load(copy, len, &e);
		if (p == NULL) {
			refused++;
			assert_true(e.n >= 1);
			rules_errors_clear(&e);
			continue;
		}
		loaded++;
		(void)run_queries(p, 300, (uint64_t)i);
		rules_plan_free(p);
	}
	/*
	 * What this test is for: no crash and no out-of-bounds read (it also
	 * runs in the ASan build) whatever a resealed blob holds. Damage to the
	 * tables must be noticed at least some of the time: the loader checks
	 * them rather than trusting the checksum alone.
	 */
	print_message("resealed blobs: %u refused, %u loaded (damage in values)\n", refused, loaded);
	assert_true(refused > 0);
	free(copy);
	free(blob);
	rt_free(&t);
	free(text);
}

/*
 * A template the compiler refuses ("$domaix", "${use}}") can still arrive in
 * a resealed blob: it loads, and each '$' that starts no variable is
 * written as text (rules_tmpl.h), next to the variables that are real.
 */
static void
test_template_text(void **state)
{
	struct tp t = rt_compile("10 prefix 1 redirect contact sip:$user.$domain.${user}@a.example "
			"q=0.25 header \"X-A: $ruser-$user\"\n");
	char *blob, buf[512];
	size_t len;
	struct rules_result r;
	struct rules_query q;

	(void)state;
	assert_int_equal(rules_plan_serialize(t.p, (void **)&blob, &len), 0);
	/* "$domain" -> "$domaix" and "${user}" -> "${use}}": both unknown variables now. */
	char *at = memmem(blob, len, "$domain", 7);
	assert_non_null(at);
	memcpy(at, "$domaix", 7);
	at = memmem(blob, len, "${user}", 7);
	assert_non_null(at);
	memcpy(at, "${use}}", 7);
	assert_int_equal(rules_blob_reseal(blob, len), 0);
	struct rules_errors e = {0};
	struct rules_plan *p = rules_plan_load(blob, len, &e);
	assert_non_null(p);
	struct rules_scratch *s = rules_scratch_create(p);
	assert_non_null(s);
	rt_query(&q, &(struct tq){.user = "123", .domain = "d.example"});
	assert_int_equal(rules_match(p, s, &q, NULL, &r, buf, sizeof(buf)), 0);
	assert_int_equal(r.n_contacts, 1);
	assert_view(r.contact[0], "<sip:123.$domaix.${use}}@a.example>;q=0.25");
	assert_view(r.headers, "X-A: 123-123\r\n");
	rules_scratch_free(s);
	rules_plan_free(p);
	free(blob);
	rt_free(&t);
}

int
test_group_blob(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_resealed),
		cmocka_unit_test(test_template_text),
	};
	return cmocka_run_group_tests_name("blob", t, NULL, NULL);
}

/* test_rules --load-blob FILE: the other process of test_round_trip. */
int
rt_blob_child(const char *path)
{
	FILE *f = fopen(path, "rb");
	static char blob[1 << 24];
	size_t len;

	if (f == NULL)
		return 2;
	len = fread(blob, 1, sizeof(blob), f);
	fclose(f);
	struct rules_errors e = {0};
	struct rules_plan *p = rules_plan_load(blob, len, &e);
	if (p == NULL) {
		rules_errors_print(&e, stderr);
		return 1;
	}
	printf("%llx\n", (unsigned long long)run_queries(p, 20000, 5));
	rules_plan_free(p);
	return 0;
}
