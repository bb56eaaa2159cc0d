/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DP_LINK_H
#define DP_LINK_H

#include <stdbool.h>
#include <stddef.h>

#include "dp_app.h"

/* Listen on path (link/sl_link.h). 0, or -errno with a message in err. */
int dp_link_init(struct dp_app *app, const char *path, char *err, size_t errlen);
/* Main lcore: accept clients and serve complete requests. Returns work done (0: idle). */
unsigned dp_link_poll(void);
/*
 * Close every connection and remove the socket file. Call after
 * dp_setup_close_publish(). Returns true when a plan push is still being
 * loaded by its thread (abandoned): the process must then leave with
 * _exit(), not exit().
 */
bool dp_link_fini(void);

#endif
