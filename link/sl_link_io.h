/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_LINK_IO_H
#define SL_LINK_IO_H

/*
 * Framing of the control link (sl_link.h) for both ends: sockets, sending
 * a frame (with an optional file descriptor), receiving frames on a
 * non-blocking socket, and a blocking request/reply helper for clients.
 * Errors: 0 / -errno; messages for the operator go into caller buffers.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sl_link.h"

/* A frame being received. */
struct sl_rx {
	uint32_t have;                /* bytes of buf filled */
	int fd;                       /* descriptor received with the frame, or -1 */
	union {
		struct sl_hdr hdr;
		unsigned char buf[sizeof(struct sl_hdr) + SL_LINK_MAX_PAYLOAD];
	};
};

void sl_rx_init(struct sl_rx *rx);
/* Forget the current frame (closes a descriptor nobody took). */
void sl_rx_reset(struct sl_rx *rx);

static inline const void *
sl_rx_payload(const struct sl_rx *rx)
{
	return rx->buf + sizeof(struct sl_hdr);
}

/*
 * Read what the socket has. Returns 1 when rx holds a whole frame (call
 * sl_rx_reset() after using it), 0 when more bytes are needed (EAGAIN),
 * -EPIPE when the peer closed, -EPROTO on a bad magic/version/length, or
 * another -errno.
 */
int sl_link_recv(int sock, struct sl_rx *rx);

/* Send one frame; fd >= 0 travels with it (SCM_RIGHTS). Blocks until sent. 0 or -errno. */
int sl_link_send(int sock, uint16_t type, uint32_t seq, const void *payload, uint32_t len,
		int fd);
/*
 * The same without ever waiting (the dataplane's end: its main lcore must
 * not block on a peer that stops reading). Returns 0, or -EAGAIN when the
 * socket could not take the whole frame — the stream is then broken and the
 * connection must be closed — or another -errno.
 */
int sl_link_send_nowait(int sock, uint16_t type, uint32_t seq, const void *payload,
		uint32_t len, int fd);

/* Send a SL_MSG_RESULT with status and text (may be NULL), without waiting. */
int sl_link_send_result(int sock, uint32_t seq, int32_t status, const char *text, size_t len);

/* The socket file a listener created (device and inode), to remove only that. */
struct sl_link_file {
	dev_t dev;
	ino_t ino;
	bool valid;
};

/*
 * Listening socket at path: creates its directory (mode 0750) if missing,
 * replaces a stale socket (one nobody answers on), binds with mode 0600,
 * non-blocking, close-on-exec. Anything else at path is left alone and
 * refused: a live socket (-EADDRINUSE), a regular file, directory, FIFO,
 * device or symbolic link (-EEXIST, the message says which). file (may be
 * NULL) identifies the socket file created, for sl_link_unlisten().
 * Returns the fd, or -errno with a message in err.
 */
int sl_link_listen(const char *path, struct sl_link_file *file, char *err, size_t errlen);

/* Close the listener and remove path if it is still the socket file it created. */
void sl_link_unlisten(int fd, const char *path, const struct sl_link_file *file);

/* Connect to path (blocking, close-on-exec). The fd, or -errno with a message. */
int sl_link_connect(const char *path, char *err, size_t errlen);

/*
 * Client: send a request and wait (up to timeout_ms) for the reply with the
 * same seq, which is left in reply. Returns 0 or -errno (-ETIMEDOUT).
 */
int sl_link_call(int sock, uint16_t type, const void *payload, uint32_t len, int fd,
		struct sl_rx *reply, int timeout_ms);

/*
 * Check a GW_ADDRS payload of len bytes: sizes, counts within the limits,
 * every name NUL-terminated and non-empty with a known transport and its
 * targets within the table, every target of family 4 or 6. On success
 * sets *h (a copy of the header), *names and *targets (pointers into p,
 * which must be 2-byte aligned) and returns 0; else -EINVAL.
 */
int sl_gw_addrs_parse(const void *p, uint32_t len, struct sl_gw_addrs *h,
		const struct sl_gw_name **names, const struct sl_gw_target **targets);

#endif
