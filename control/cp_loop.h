/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CP_LOOP_H
#define CP_LOOP_H

/*
 * The control plane's event loop (after Redis' ae.c, with monotonic time
 * and O_CLOEXEC): epoll over file descriptors with a callback and a
 * context each, timers on one timerfd armed for the nearest deadline,
 * signals through a signalfd, and an eventfd that worker threads use to
 * hand finished work back to the loop. One thread runs the loop; every
 * callback runs on it, so the state they touch needs no locks. Nothing here
 * may block: heavy work goes to cp_loop_work().
 */

#include <stdbool.h>
#include <stdint.h>

struct cp_loop;

/* Readiness bits for cp_loop_add_fd(). */
#define CP_READ 1u
#define CP_WRITE 2u
/* Passed to callbacks: error or hang-up on the descriptor. */
#define CP_ERROR 4u

typedef void cp_fd_cb(struct cp_loop *l, int fd, unsigned events, void *ctx);
/* A timer callback returns its next period in ms, or a negative value to end the timer. */
typedef int64_t cp_timer_cb(struct cp_loop *l, void *ctx);
typedef void cp_signal_cb(struct cp_loop *l, int sig, void *ctx);
/* Runs on a worker thread; its result goes to the done callback on the loop. */
typedef void cp_work_fn(void *arg);
typedef void cp_done_fn(struct cp_loop *l, void *arg);

/* NULL on error (errno set). */
struct cp_loop *cp_loop_create(void);
/* Waits for running work items (their done callbacks do not run), closes everything. */
void cp_loop_free(struct cp_loop *l);

/* Watch fd for events (CP_READ|CP_WRITE). 0 or -errno (-EEXIST if already watched). */
int cp_loop_add_fd(struct cp_loop *l, int fd, unsigned events, cp_fd_cb *cb, void *ctx);
/* Change the events watched. 0 or -errno. */
int cp_loop_mod_fd(struct cp_loop *l, int fd, unsigned events);
/* Stop watching fd (safe from any callback, even for an fd with events pending). */
void cp_loop_del_fd(struct cp_loop *l, int fd);

/* A timer firing after ms. Returns its id (> 0), or 0 on allocation failure. */
uint64_t cp_timer_add(struct cp_loop *l, int64_t ms, cp_timer_cb *cb, void *ctx);
/* Cancel a timer (0 and unknown ids are ignored). Safe from any callback. */
void cp_timer_del(struct cp_loop *l, uint64_t id);

/*
 * Deliver SIGTERM, SIGINT and SIGHUP to cb through a signalfd (the signals
 * are blocked in the calling thread: call before starting threads, which
 * inherit the mask). SIGPIPE is ignored. 0 or -errno.
 */
int cp_loop_signals(struct cp_loop *l, cp_signal_cb *cb, void *ctx);

/*
 * Run fn(arg) on a new thread, then done(l, arg) on the loop. Work items
 * run concurrently; callers that need order serialise themselves.
 * 0 or -errno (then neither callback runs).
 */
int cp_loop_work(struct cp_loop *l, cp_work_fn *fn, cp_done_fn *done, void *arg);
/* Work items started and not yet done. */
unsigned cp_loop_work_pending(const struct cp_loop *l);

/* Run until cp_loop_stop(). 0, or -errno if epoll fails. */
int cp_loop_run(struct cp_loop *l);
/* Make cp_loop_run() return after the current iteration. */
void cp_loop_stop(struct cp_loop *l);
/* Run one iteration, waiting at most timeout_ms (-1: until something happens). For tests. */
int cp_loop_once(struct cp_loop *l, int timeout_ms);

/* Monotonic milliseconds (CLOCK_MONOTONIC). */
uint64_t cp_now_ms(void);
/* Wall-clock seconds (CLOCK_REALTIME), for records shown to people. */
int64_t cp_wall_s(void);
/* Wall-clock milliseconds (CLOCK_REALTIME), for timestamps people compare with their own. */
int64_t cp_wall_ms(void);

#endif
