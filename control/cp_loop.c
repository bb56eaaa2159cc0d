/* SPDX-License-Identifier: BSD-3-Clause */
#include "cp_loop.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 64

/*
 * One slot per descriptor number (as ae.c). epoll events carry fd and the
 * slot's generation: an event still queued for a descriptor removed (and
 * maybe reused) by an earlier callback of the same batch is recognised as
 * stale and skipped.
 */
struct fd_slot {
	cp_fd_cb *cb;
	void *ctx;
	unsigned events;
	uint32_t gen;
};

struct timer {
	uint64_t id;
	uint64_t due; /* cp_now_ms() */
	cp_timer_cb *cb;
	void *ctx;
};

struct work {
	struct cp_loop *l;
	cp_work_fn *fn;
	cp_done_fn *done;
	void *arg;
	pthread_t th;
	struct work *next;
};

struct cp_loop {
	int ep;
	int tfd;       /* timerfd: nearest deadline */
	int efd;       /* eventfd: work finished */
	int sfd;       /* signalfd, or -1 */
	bool stop;
	struct fd_slot *slot;
	int n_slot;
	struct timer *tm;
	unsigned n_tm, cap_tm;
	uint64_t next_id;
	uint64_t armed;   /* deadline the timerfd is set for; 0: disarmed */
	cp_signal_cb *sig_cb;
	void *sig_ctx;
	pthread_mutex_t lock;  /* guards done_list and n_work */
	struct work *done_list;
	unsigned n_work;
};

uint64_t
cp_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int64_t
cp_wall_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

int64_t
cp_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint32_t
ep_events(unsigned ev)
{
	return (ev & CP_READ ? EPOLLIN : 0u) | (ev & CP_WRITE ? EPOLLOUT : 0u);
}

static int
watch_internal(struct cp_loop *l, int fd)
{
	struct epoll_event e = {.events = EPOLLIN, .data.u64 = UINT64_MAX - (uint64_t)fd};
	return epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &e) == 0 ? 0 : -errno;
}

struct cp_loop *
cp_loop_create(void)
{
	struct cp_loop *l = calloc(1, sizeof(*l));
	if (l == NULL)
		return NULL;
	l->ep = l->tfd = l->efd = l->sfd = -1;
	pthread_mutex_init(&l->lock, NULL);
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	l->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->ep < 0 || l->tfd < 0 || l->efd < 0 || watch_internal(l, l->tfd) != 0 ||
			watch_internal(l, l->efd) != 0) {
		int e = errno;
		cp_loop_free(l);
		errno = e;
		return NULL;
	}
	return l;
}

void
cp_loop_free(struct cp_loop *l)
{
	if (l == NULL)
		return;
	/* Work items reference their owners: wait for them (their done callbacks are dropped). */
	for (;;) {
		pthread_mutex_lock(&l->lock);
		unsigned n = l->n_work;
		struct work *w = l->done_list;
		l->done_list = NULL;
		pthread_mutex_unlock(&l->lock);
		while (w != NULL) {
			struct work *next = w->next;
			pthread_join(w->th, NULL);
			free(w);
			w = next;
		}
		if (n == 0)
			break;
		usleep(10000);
	}
	if (l->ep >= 0)
		close(l->ep);
	if (l->tfd >= 0)
		close(l->tfd);
	if (l->efd >= 0)
		close(l->efd);
	if (l->sfd >= 0)
		close(l->sfd);
	pthread_mutex_destroy(&l->lock);
	free(l->slot);
	free(l->tm);
	free(l);
}

int
cp_loop_add_fd(struct cp_loop *l, int fd, unsigned events, cp_fd_cb *cb, void *ctx)
{
	if (fd < 0 || cb == NULL)
		return -EINVAL;
	if (fd >= l->n_slot) {
		int n = l->n_slot ? l->n_slot : 64;
		while (n <= fd)
			n *= 2;
		struct fd_slot *s = realloc(l->slot, (size_t)n * sizeof(*s));
		if (s == NULL)
			return -ENOMEM;
		memset(s + l->n_slot, 0, (size_t)(n - l->n_slot) * sizeof(*s));
		l->slot = s;
		l->n_slot = n;
	}
	struct fd_slot *s = &l->slot[fd];
	if (s->cb != NULL)
		return -EEXIST;
	s->gen++;
	struct epoll_event e = {.events = ep_events(events),
		.data.u64 = (uint64_t)(unsigned)fd | (uint64_t)s->gen << 32};
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &e) != 0)
		return -errno;
	s->cb = cb;
	s->ctx = ctx;
	s->events = events;
	return 0;
}

int
cp_loop_mod_fd(struct cp_loop *l, int fd, unsigned events)
{
	if (fd < 0 || fd >= l->n_slot || l->slot[fd].cb == NULL)
		return -ENOENT;
	struct fd_slot *s = &l->slot[fd];
	if (s->events == events)
		return 0;
	struct epoll_event e = {.events = ep_events(events),
		.data.u64 = (uint64_t)(unsigned)fd | (uint64_t)s->gen << 32};
	if (epoll_ctl(l->ep, EPOLL_CTL_MOD, fd, &e) != 0)
		return -errno;
	s->events = events;
	return 0;
}

void
cp_loop_del_fd(struct cp_loop *l, int fd)
{
	if (fd < 0 || fd >= l->n_slot || l->slot[fd].cb == NULL)
		return;
	epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL);
	l->slot[fd].cb = NULL;
	l->slot[fd].ctx = NULL;
	l->slot[fd].gen++;
}

static void
arm(struct cp_loop *l)
{
	uint64_t due = 0;
	for (unsigned i = 0; i < l->n_tm; i++)
		if (due == 0 || l->tm[i].due < due)
			due = l->tm[i].due;
	if (due == l->armed)
		return;
	struct itimerspec its = {{0, 0}, {0, 0}};
	if (due != 0) {
		/* Absolute CLOCK_MONOTONIC time; 0 would disarm, so never less than 1 ns. */
		its.it_value.tv_sec = (time_t)(due / 1000u);
		its.it_value.tv_nsec = (long)(due % 1000u) * 1000000L;
		if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
			its.it_value.tv_nsec = 1;
	}
	timerfd_settime(l->tfd, TFD_TIMER_ABSTIME, &its, NULL);
	l->armed = due;
}

uint64_t
cp_timer_add(struct cp_loop *l, int64_t ms, cp_timer_cb *cb, void *ctx)
{
	if (l->n_tm == l->cap_tm) {
		unsigned n = l->cap_tm ? l->cap_tm * 2 : 16;
		struct timer *t = realloc(l->tm, n * sizeof(*t));
		if (t == NULL)
			return 0;
		l->tm = t;
		l->cap_tm = n;
	}
	struct timer *t = &l->tm[l->n_tm++];
	t->id = ++l->next_id;
	t->due = cp_now_ms() + (uint64_t)(ms > 0 ? ms : 0);
	t->cb = cb;
	t->ctx = ctx;
	arm(l);
	return t->id;
}

void
cp_timer_del(struct cp_loop *l, uint64_t id)
{
	for (unsigned i = 0; i < l->n_tm; i++) {
		if (l->tm[i].id == id) {
			l->tm[i] = l->tm[--l->n_tm];
			arm(l);
			return;
		}
	}
}

static void
run_timers(struct cp_loop *l)
{
	uint64_t now = cp_now_ms();
	uint64_t drain;

	if (read(l->tfd, &drain, sizeof(drain)) < 0) {
		/* EAGAIN: woken by something else; timers are checked anyway. */
	}
	l->armed = 0;
	/*
	 * Callbacks may add and delete timers (the array moves): look each due
	 * timer up by id again after every call.
	 */
	for (;;) {
		unsigned i;
		for (i = 0; i < l->n_tm; i++)
			if (l->tm[i].due <= now)
				break;
		if (i == l->n_tm)
			break;
		uint64_t id = l->tm[i].id;
		/* Push it out first so a re-entrant look-up never finds it due again. */
		l->tm[i].due = UINT64_MAX;
		int64_t next = l->tm[i].cb(l, l->tm[i].ctx);
		for (i = 0; i < l->n_tm; i++)
			if (l->tm[i].id == id)
				break;
		if (i == l->n_tm)
			continue; /* the callback deleted it */
		if (next < 0)
			l->tm[i] = l->tm[--l->n_tm];
		else
			l->tm[i].due = now + (uint64_t)next;
	}
	arm(l);
}

int
cp_loop_signals(struct cp_loop *l, cp_signal_cb *cb, void *ctx)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return -errno;
	l->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (l->sfd < 0)
		return -errno;
	l->sig_cb = cb;
	l->sig_ctx = ctx;
	return watch_internal(l, l->sfd);
}

static void
run_signals(struct cp_loop *l)
{
	struct signalfd_siginfo si;
	while (read(l->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		if (l->sig_cb != NULL)
			l->sig_cb(l, (int)si.ssi_signo, l->sig_ctx);
}

static void *
work_main(void *arg)
{
	struct work *w = arg;
	struct cp_loop *l = w->l;
	uint64_t one = 1;

	w->fn(w->arg);
	pthread_mutex_lock(&l->lock);
	w->next = l->done_list;
	l->done_list = w;
	l->n_work--;
	pthread_mutex_unlock(&l->lock);
	if (write(l->efd, &one, sizeof(one)) < 0) {
		/* The counter cannot overflow in practice; the loop drains it. */
	}
	return NULL;
}

int
cp_loop_work(struct cp_loop *l, cp_work_fn *fn, cp_done_fn *done, void *arg)
{
	struct work *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	w->l = l;
	w->fn = fn;
	w->done = done;
	w->arg = arg;
	pthread_mutex_lock(&l->lock);
	l->n_work++;
	pthread_mutex_unlock(&l->lock);
	int rc = pthread_create(&w->th, NULL, work_main, w);
	if (rc != 0) {
		pthread_mutex_lock(&l->lock);
		l->n_work--;
		pthread_mutex_unlock(&l->lock);
		free(w);
		return -rc;
	}
	return 0;
}

unsigned
cp_loop_work_pending(const struct cp_loop *l)
{
	struct cp_loop *m = (struct cp_loop *)l;
	pthread_mutex_lock(&m->lock);
	unsigned n = m->n_work;
	for (struct work *w = m->done_list; w != NULL; w = w->next)
		n++;
	pthread_mutex_unlock(&m->lock);
	return n;
}

static void
run_done(struct cp_loop *l)
{
	uint64_t drain;
	if (read(l->efd, &drain, sizeof(drain)) < 0) {
		/* EAGAIN: nothing new. */
	}
	pthread_mutex_lock(&l->lock);
	struct work *w = l->done_list;
	l->done_list = NULL;
	pthread_mutex_unlock(&l->lock);
	/* The list is newest first: run in completion order. */
	struct work *rev = NULL;
	while (w != NULL) {
		struct work *next = w->next;
		w->next = rev;
		rev = w;
		w = next;
	}
	while (rev != NULL) {
		struct work *next = rev->next;
		pthread_join(rev->th, NULL);
		if (rev->done != NULL)
			rev->done(l, rev->arg);
		free(rev);
		rev = next;
	}
}

int
cp_loop_once(struct cp_loop *l, int timeout_ms)
{
	struct epoll_event ev[MAX_EVENTS];
	int n = epoll_wait(l->ep, ev, MAX_EVENTS, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		uint64_t d = ev[i].data.u64;
		if (d == UINT64_MAX - (uint64_t)l->tfd) {
			run_timers(l);
			continue;
		}
		if (d == UINT64_MAX - (uint64_t)l->efd) {
			run_done(l);
			continue;
		}
		if (l->sfd >= 0 && d == UINT64_MAX - (uint64_t)l->sfd) {
			run_signals(l);
			continue;
		}
		int fd = (int)(uint32_t)d;
		uint32_t gen = (uint32_t)(d >> 32);
		if (fd >= l->n_slot || l->slot[fd].cb == NULL || l->slot[fd].gen != gen)
			continue; /* removed by an earlier callback of this batch */
		unsigned e = 0;
		if (ev[i].events & EPOLLIN)
			e |= CP_READ;
		if (ev[i].events & EPOLLOUT)
			e |= CP_WRITE;
		if (ev[i].events & (EPOLLERR | EPOLLHUP))
			e |= CP_ERROR | CP_READ;
		l->slot[fd].cb(l, fd, e, l->slot[fd].ctx);
	}
	return 0;
}

int
cp_loop_run(struct cp_loop *l)
{
	l->stop = false;
	while (!l->stop) {
		int rc = cp_loop_once(l, -1);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void
cp_loop_stop(struct cp_loop *l)
{
	l->stop = true;
}
