/*
 * server.c - client connections of the gateway: accept, read, frame
 * HTTP/1.1 requests, write responses, keep-alive and pipelining.
 *
 * Reads go into one scratch buffer shared by every connection; a request
 * that arrives whole (the common case) is handled straight from it, and
 * only a partial request is copied into the connection's own buffer, so an
 * idle keep-alive connection holds no input memory. Output goes through an
 * evbuffer written as soon as something is queued.
 *
 * Closing: conn_abort() closes the socket at once but frees the struct on
 * the next loop turn, so a caller further up the stack (a read loop, a curl
 * callback) never touches freed memory; functions here never close a
 * connection from inside a write (a failed write only marks it broken).
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <event2/listener.h>
#include "gateway/gw.h"
#include "util/err.h"

#define SCRATCH (64u << 10)
#define OUT_HIGH (256u << 10)        /* pause reading pipelined input beyond this much */

static void on_read(evutil_socket_t fd, short what, void *arg);
static void on_write(evutil_socket_t fd, short what, void *arg);
static void on_idle(evutil_socket_t fd, short what, void *arg);

static void free_later(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	(void)fd;
	(void)what;
	free(c->in);
	if (c->key_raw) {
		explicit_bzero(c->key_raw, c->key_len);
		free(c->key_raw);
	}
	free(c);
}

void conn_abort(struct conn *c)
{
	struct gw *g = c->g;
	if (c->closed)
		return;
	c->closed = 1;
	if (c->req)
		proxy_client_gone(c->req);
	event_del(&c->rev);
	event_del(&c->wev);
	event_del(&c->idle);
	evutil_closesocket(c->fd);
	evbuffer_free(c->out);
	c->out = NULL;
	if (c->prev)
		c->prev->next = c->next;
	else
		g->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	g->nconns--;
	g->m.conns_open--;
	struct timeval zero = { 0, 0 };
	event_base_once(g->base, -1, EV_TIMEOUT, free_later, c, &zero);
}

void conn_queue(struct conn *c, const void *p, size_t n)
{
	if (c->closed || c->broken)
		return;
	evbuffer_add(c->out, p, n);
}

void conn_send(struct conn *c, const void *a, size_t an, const void *b, size_t bn)
{
	if (c->closed || c->broken)
		return;
	if (evbuffer_get_length(c->out)) {
		/* Behind output still queued: keep the order. */
		evbuffer_add(c->out, a, an);
		evbuffer_add(c->out, b, bn);
		return;
	}
	struct iovec v[2] = { { (void *)a, an }, { (void *)b, bn } };
	ssize_t w;
	do
		w = writev(c->fd, v, bn ? 2 : 1);
	while (w < 0 && errno == EINTR);
	if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
		c->broken = 1;
		/* The close happens from a safe place: the write event fires at once. */
		event_active(&c->wev, EV_WRITE, 0);
		return;
	}
	size_t done = w < 0 ? 0 : (size_t)w;
	if (done == an + bn)
		return;
	/* The socket took part of it: the rest waits for writability. */
	if (done < an)
		evbuffer_add(c->out, (const char *)a + done, an - done);
	size_t bd = done > an ? done - an : 0;
	evbuffer_add(c->out, (const char *)b + bd, bn - bd);
	event_add(&c->wev, NULL);
}

size_t conn_out_len(const struct conn *c)
{
	return c->out ? evbuffer_get_length(c->out) : 0;
}

void conn_flush(struct conn *c)
{
	if (c->closed || c->broken)
		return;
	while (evbuffer_get_length(c->out)) {
		int n = evbuffer_write(c->out, c->fd);
		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			event_add(&c->wev, NULL);
			return;
		}
		if (n < 0 && errno == EINTR)
			continue;
		c->broken = 1;
		/* The close happens from a safe place: the write event fires at once. */
		event_active(&c->wev, EV_WRITE, 0);
		return;
	}
}

static void arm_idle(struct conn *c)
{
	event_add(&c->idle, c->g->idle_tv);
}

void conn_response_done(struct conn *c, int keep_alive)
{
	c->req = NULL;
	c->sent_continue = 0;
	if (c->closed)
		return;
	if (!keep_alive)
		c->close_after = 1;
	conn_flush(c);
	if (c->closed)
		return;
	if (c->close_after) {
		if (!evbuffer_get_length(c->out) && !c->broken)
			conn_abort(c);
		return;
	}
	arm_idle(c);
	if (!c->reading) {
		event_add(&c->rev, NULL);
		c->reading = 1;
	}
	/* Pipelined requests already received: handle them on the next turn. */
	if (c->in_len)
		event_active(&c->rev, EV_READ, 0);
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	(void)fd;
	(void)what;
	if (c->closed)
		return;
	if (c->broken) {
		conn_abort(c);
		return;
	}
	conn_flush(c);
	if (c->closed || c->broken) {
		if (!c->closed)
			conn_abort(c);
		return;
	}
	if (!evbuffer_get_length(c->out)) {
		event_del(&c->wev);
		if (c->close_after && !c->req) {
			conn_abort(c);
			return;
		}
	}
	if (c->req && evbuffer_get_length(c->out) < OUT_HIGH / 4)
		proxy_drained(c->req);
}

static void on_idle(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	(void)fd;
	(void)what;
	/* Only a connection with nothing in flight times out (a slow stream is the upstream's timer's job). */
	if (!c->req && !c->closed)
		conn_abort(c);
}

/* Keep bytes [p, p+n) as the connection's pending input (p may point into c->in). */
static void keep_input(struct conn *c, const char *p, size_t n)
{
	if (!n) {
		c->in_len = 0;
		if (c->in_cap > SCRATCH) {
			free(c->in);
			c->in = NULL;
			c->in_cap = 0;
		}
		return;
	}
	if (c->in && p >= c->in && p < c->in + c->in_cap) {
		memmove(c->in, p, n);
	} else {
		if (c->in_cap < n) {
			size_t cap = c->in_cap ? c->in_cap : 4096;
			while (cap < n)
				cap *= 2;
			c->in = xrealloc(c->in, cap);
			c->in_cap = cap;
		}
		memcpy(c->in, p, n);
	}
	c->in_len = n;
}

/* Refuse a request whose framing we cannot trust: answer and close. */
static void refuse(struct conn *c, int status, const char *why)
{
	c->g->m.bad_requests++;
	c->in_len = 0;
	proxy_error(c, status, "invalid_request_error", NULL, why, 0, 0);
}

/*
 * Handle the complete requests in buf[0..len); keep the rest. Returns when
 * a request goes in flight, more bytes are needed, or the connection closed.
 */
static void process(struct conn *c, char *buf, size_t len)
{
	struct gw *g = c->g;
	while (len && !c->req && !c->closed && !c->close_after) {
		struct http_req h;
		const char *why;
		int r = http_parse_head(buf, len, &h, &why);
		if (r == 0) {
			keep_input(c, buf, len);
			return;
		}
		if (r < 0) {
			refuse(c, -r, why);
			return;
		}
		size_t body_len = 0, used;
		char *body = buf + h.head_len;
		if (h.chunked) {
			int64_t u = http_chunked(body, len - h.head_len, g->conf->max_body, &body_len);
			if (u == -2) {
				refuse(c, 413, "request body too large");
				return;
			}
			if (u < 0) {
				refuse(c, 400, "malformed chunked request body");
				return;
			}
			if (u == 0) {
				if (h.expect_continue && !c->sent_continue) {
					c->sent_continue = 1;
					conn_queue(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
					conn_flush(c);
				}
				keep_input(c, buf, len);
				return;
			}
			used = h.head_len + (size_t)u;
		} else {
			int64_t cl = h.content_length < 0 ? 0 : h.content_length;
			if ((uint64_t)cl > g->conf->max_body) {
				refuse(c, 413, "request body too large");
				return;
			}
			if (len - h.head_len < (uint64_t)cl) {
				if (h.expect_continue && !c->sent_continue) {
					c->sent_continue = 1;
					conn_queue(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
					conn_flush(c);
				}
				keep_input(c, buf, len);
				return;
			}
			body_len = (size_t)cl;
			used = h.head_len + body_len;
		}
		event_del(&c->idle);
		proxy_dispatch(c, &h, body, body_len);
		if (c->closed)
			return;
		buf += used;
		len -= used;
	}
	if (!c->closed)
		keep_input(c, buf, len);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct gw *g = c->g;
	(void)what;
	if (c->closed)
		return;
	if (g->conf->busy_poll_s > 0)
		g->last_io = gw_mono();
	/* Pipelined input left from the last response first. */
	if (c->in_len && !c->req) {
		process(c, c->in, c->in_len);
		if (c->closed || c->req)
			return;
	}
	for (int rounds = 0; rounds < 4; rounds++) {
		char *buf;
		size_t have, room;
		if (c->in_len || c->req) {
			/* Append to the connection's own buffer (a partial request, or input behind one in flight). */
			size_t limit = g->conf->max_body + HTTP_MAX_HEAD + 64;
			if (c->req && c->in_len >= OUT_HIGH) {
				/* Enough pipelined input: stop reading until the response is done. */
				event_del(&c->rev);
				c->reading = 0;
				return;
			}
			if (c->in_len >= limit) {
				refuse(c, 413, "request too large");
				return;
			}
			if (c->in_cap - c->in_len < 4096) {
				size_t cap = c->in_cap ? c->in_cap * 2 : 16384;
				c->in = xrealloc(c->in, cap);
				c->in_cap = cap;
			}
			buf = c->in;
			have = c->in_len;
			room = c->in_cap - c->in_len;
		} else {
			buf = g->scratch;
			have = 0;
			room = g->scratch_cap;
		}
		ssize_t n = read(fd, buf + have, room);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			conn_abort(c);
			return;
		}
		if (n == 0) {
			conn_abort(c);
			return;
		}
		if (buf == c->in)
			c->in_len += (size_t)n;
		if (c->req) {
			if (buf != c->in)
				keep_input(c, buf, (size_t)n);
			continue;
		}
		size_t total = have + (size_t)n;
		if (buf == c->in)
			c->in_len = 0;   /* process() keeps what is left */
		process(c, buf, total);
		if (c->closed || c->req)
			return;
		if ((size_t)n < room)
			return;
	}
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int socklen, void *arg)
{
	struct gw *g = arg;
	(void)l;
	(void)sa;
	(void)socklen;
	if (g->nconns >= g->conf->max_conns || g->stopping) {
		evutil_closesocket(fd);
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	struct conn *c = xcalloc(1, sizeof *c);
	c->g = g;
	c->fd = fd;
	c->out = evbuffer_new();
	event_assign(&c->rev, g->base, fd, EV_READ | EV_PERSIST, on_read, c);
	event_assign(&c->wev, g->base, fd, EV_WRITE | EV_PERSIST, on_write, c);
	evtimer_assign(&c->idle, g->base, on_idle, c);
	c->next = g->conns;
	if (g->conns)
		g->conns->prev = c;
	g->conns = c;
	g->nconns++;
	g->m.conns_open++;
	g->m.conns_total++;
	event_add(&c->rev, NULL);
	c->reading = 1;
	arm_idle(c);
	/* Most clients send the request right after connecting: try to read it now. */
	on_read(fd, EV_READ, c);
}

static void on_accept_error(struct evconnlistener *l, void *arg)
{
	(void)l;
	(void)arg;
	int e = EVUTIL_SOCKET_ERROR();
	/* EMFILE and friends: keep serving the open connections. */
	warning("gateway: accept: %s", evutil_socket_error_to_string(e));
}

int server_listen(struct gw *g, const char *addr)
{
	struct sockaddr_storage ss;
	int sl;
	char host[256];
	const char *colon = strrchr(addr, ':');
	const char *h = addr;
	size_t hl = colon ? (size_t)(colon - addr) : 0;
	if (hl >= 2 && addr[0] == '[' && addr[hl - 1] == ']')
		h++, hl -= 2;
	if (!colon || !hl || hl >= sizeof host || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    atol(colon + 1) > 65535)
		return error("gateway: listen address '%s': expected HOST:PORT (127.0.0.1:4000, [::1]:4000)", addr);
	memcpy(host, h, hl);
	host[hl] = 0;
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *ai;
	int gr = getaddrinfo(host, colon + 1, &hints, &ai);
	if (gr != 0)
		return error("gateway: listen address '%s': %s", addr, gai_strerror(gr));
	memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
	sl = (int)ai->ai_addrlen;
	freeaddrinfo(ai);
	g->scratch_cap = SCRATCH;
	g->scratch = xmalloc(SCRATCH);
	g->lis = evconnlistener_new_bind(g->base, on_accept, g,
					 LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 4096,
					 (struct sockaddr *)&ss, sl);
	if (!g->lis)
		return error("gateway: cannot listen on %s: %s", addr, strerror(errno));
	evconnlistener_set_error_cb(g->lis, on_accept_error);
	g->common_idle.tv_sec = (time_t)g->conf->idle_timeout_s;
	g->common_idle.tv_usec = (suseconds_t)((g->conf->idle_timeout_s - (double)(time_t)g->conf->idle_timeout_s) * 1e6);
	g->idle_tv = event_base_init_common_timeout(g->base, &g->common_idle);
	return 0;
}

void server_close_all(struct gw *g)
{
	if (g->lis) {
		evconnlistener_free(g->lis);
		g->lis = NULL;
	}
	while (g->conns)
		conn_abort(g->conns);
	free(g->scratch);
	g->scratch = NULL;
}

/* The port actually bound (for --listen HOST:0). */
int server_port(struct gw *g);
int server_port(struct gw *g)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	if (!g->lis || getsockname(evconnlistener_get_fd(g->lis), (struct sockaddr *)&ss, &sl) < 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}
