/*
 * upstream.c - libcurl multi driven by libevent; see upstream.h.
 *
 * The hiperfifo pattern: one libevent event per socket curl watches (made
 * in sock_cb, kept in a table by descriptor), one timer for curl's
 * timeouts. After each socket_action the finished transfers are collected
 * and their done() callbacks run.
 *
 * Keep-alive connections stay registered for reading between transfers:
 * curl stops watching a connection's socket when a transfer ends and
 * watches it again when the next one starts on it, which would cost an
 * epoll_ctl() each way on every request. A socket the gateway opened for
 * curl (CURLOPT_OPENSOCKETFUNCTION) keeps its read event instead; if the
 * idle connection becomes readable (the server closed it) the event is
 * dropped and curl's own liveness check retires the connection on its
 * next use. Such a socket is closed only through CURLOPT_CLOSESOCKETFUNCTION,
 * which removes its event first, so a descriptor number reused later never
 * finds a stale event. Sockets curl makes for itself (a resolver's) keep
 * the plain add/remove.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include "gateway/upstream.h"
#include "util/err.h"

#define POOL_MAX 1024

struct sock {
	struct event ev;
	curl_socket_t fd;
	int what;                    /* what curl watches (CURL_POLL_*), 0 none */
	short kind;                  /* the events ev is added with, 0 not added */
	int ours;                    /* opened by opensock(): closed by closesock() */
};

struct gw_upstreams {
	struct event_base *base;
	CURLM *multi;
	struct event timer;
	int running;
	CURL *pool[POOL_MAX];
	const void *owner[POOL_MAX];
	int npool;
	int in_check;
	struct sock **socks;         /* by descriptor */
	size_t nsocks;
	double last_io;              /* gw_mono() of the last upstream socket event or request start */
};

double gw_mono(void);

static void check_done(struct gw_upstreams *u)
{
	CURLMsg *m;
	int left;
	if (u->in_check)
		return;
	u->in_check = 1;
	while ((m = curl_multi_info_read(u->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		struct up_xfer *x = NULL;
		CURL *e = m->easy_handle;
		CURLcode rc = m->data.result;
		curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&x);
		curl_multi_remove_handle(u->multi, e);
		if (x) {
			x->active = 0;
			x->done(x, rc);
		}
	}
	u->in_check = 0;
}

static void sock_forget(struct gw_upstreams *u, curl_socket_t s);

static void event_cb(evutil_socket_t fd, short kind, void *arg)
{
	struct gw_upstreams *u = arg;
	struct sock *k = (size_t)fd < u->nsocks ? u->socks[fd] : NULL;
	if (k && !k->what) {
		/* An idle keep-alive connection became readable (closed by the server): stop watching it. */
		event_del(&k->ev);
		k->kind = 0;
		return;
	}
	int action = (kind & EV_READ ? CURL_CSELECT_IN : 0) | (kind & EV_WRITE ? CURL_CSELECT_OUT : 0);
	u->last_io = gw_mono();
	curl_multi_socket_action(u->multi, fd, action, &u->running);
	check_done(u);
}

static void timer_cb(evutil_socket_t fd, short kind, void *arg)
{
	struct gw_upstreams *u = arg;
	(void)fd;
	(void)kind;
	curl_multi_socket_action(u->multi, CURL_SOCKET_TIMEOUT, 0, &u->running);
	check_done(u);
}

static int multi_timer_cb(CURLM *multi, long timeout_ms, void *arg)
{
	struct gw_upstreams *u = arg;
	(void)multi;
	if (timeout_ms < 0) {
		evtimer_del(&u->timer);
		return 0;
	}
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	evtimer_add(&u->timer, &tv);
	return 0;
}

static struct sock *sock_get(struct gw_upstreams *u, curl_socket_t s)
{
	if (s < 0)
		return NULL;
	if ((size_t)s >= u->nsocks) {
		size_t n = u->nsocks ? u->nsocks : 64;
		while (n <= (size_t)s)
			n *= 2;
		u->socks = xrealloc(u->socks, n * sizeof *u->socks);
		memset(u->socks + u->nsocks, 0, (n - u->nsocks) * sizeof *u->socks);
		u->nsocks = n;
	}
	if (!u->socks[s]) {
		u->socks[s] = xcalloc(1, sizeof **u->socks);
		u->socks[s]->fd = s;
	}
	return u->socks[s];
}

/* Drop the socket's event and entry (it is about to be closed, or curl is done with it). */
static void sock_forget(struct gw_upstreams *u, curl_socket_t s)
{
	struct sock *k = s >= 0 && (size_t)s < u->nsocks ? u->socks[s] : NULL;
	if (!k)
		return;
	if (k->kind)
		event_del(&k->ev);
	free(k);
	u->socks[s] = NULL;
}

static int sock_cb(CURL *e, curl_socket_t s, int what, void *arg, void *sockp)
{
	struct gw_upstreams *u = arg;
	(void)e;
	(void)sockp;
	struct sock *k = (size_t)s < u->nsocks ? u->socks[s] : NULL;
	if (what == CURL_POLL_REMOVE) {
		if (!k)
			return 0;
		k->what = 0;
		/* A connection socket of ours keeps a read event while it idles in curl's cache (see above). */
		if (k->ours && k->kind == (EV_READ | EV_PERSIST))
			return 0;
		if (!k->ours) {
			sock_forget(u, s);
			return 0;
		}
		if (k->kind)
			event_del(&k->ev);
		k->kind = 0;
		return 0;
	}
	if (!k && !(k = sock_get(u, s)))
		return 0;
	short kind = (short)((what & CURL_POLL_IN ? EV_READ : 0) | (what & CURL_POLL_OUT ? EV_WRITE : 0) | EV_PERSIST);
	k->what = what;
	if (k->kind == kind)
		return 0;
	if (k->kind)
		event_del(&k->ev);
	event_assign(&k->ev, u->base, s, kind, event_cb, u);
	event_add(&k->ev, NULL);
	k->kind = kind;
	return 0;
}

static curl_socket_t opensock(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct gw_upstreams *u = arg;
	(void)purpose;
	curl_socket_t s = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
	if (s == CURL_SOCKET_BAD)
		return s;
	struct sock *k = sock_get(u, s);
	if (k)
		k->ours = 1;
	return s;
}

static int closesock(void *arg, curl_socket_t s)
{
	sock_forget(arg, s);
	return close(s);
}

struct gw_upstreams *up_new(struct event_base *base, long max_idle_conns)
{
	struct gw_upstreams *u = xcalloc(1, sizeof *u);
	u->base = base;
	u->multi = curl_multi_init();
	if (!u->multi) {
		free(u);
		error("libcurl: cannot create a multi handle");
		return NULL;
	}
	evtimer_assign(&u->timer, base, timer_cb, u);
	curl_multi_setopt(u->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(u->multi, CURLMOPT_SOCKETDATA, u);
	curl_multi_setopt(u->multi, CURLMOPT_TIMERFUNCTION, multi_timer_cb);
	curl_multi_setopt(u->multi, CURLMOPT_TIMERDATA, u);
	curl_multi_setopt(u->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	curl_multi_setopt(u->multi, CURLMOPT_MAXCONNECTS, max_idle_conns);
	return u;
}

void up_free(struct gw_upstreams *u)
{
	if (!u)
		return;
	for (int i = 0; i < u->npool; i++)
		curl_easy_cleanup(u->pool[i]);
	curl_multi_cleanup(u->multi);
	evtimer_del(&u->timer);
	for (size_t i = 0; i < u->nsocks; i++)
		sock_forget(u, (curl_socket_t)i);
	free(u->socks);
	free(u);
}

static void fixed_opts(struct gw_upstreams *u, CURL *e)
{
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, opensock);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, u);
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, closesock);
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, u);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	/* Small receive buffers: thousands of concurrent streams each hold one. */
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 4096L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
}

CURL *up_easy(struct gw_upstreams *u, const void *owner)
{
	CURL *e;
	/* The most recently released handle of the same owner, among the last few. */
	for (int i = u->npool - 1; i >= 0 && i >= u->npool - 8; i--)
		if (u->owner[i] == owner) {
			e = u->pool[i];
			memmove(&u->pool[i], &u->pool[i + 1], (size_t)(u->npool - i - 1) * sizeof u->pool[0]);
			memmove(&u->owner[i], &u->owner[i + 1], (size_t)(u->npool - i - 1) * sizeof u->owner[0]);
			u->npool--;
			return e;
		}
	if (u->npool) {
		e = u->pool[--u->npool];
		curl_easy_reset(e);
	} else {
		e = curl_easy_init();
		if (!e)
			return NULL;
	}
	fixed_opts(u, e);
	return e;
}

void up_release(struct gw_upstreams *u, CURL *e, const void *owner)
{
	if (!e)
		return;
	if (u->npool < POOL_MAX) {
		u->owner[u->npool] = owner;
		u->pool[u->npool++] = e;
	} else {
		curl_easy_cleanup(e);
	}
}

int up_start(struct gw_upstreams *u, struct up_xfer *x)
{
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, (char *)x);
	if (curl_multi_add_handle(u->multi, x->easy) != CURLM_OK)
		return -1;
	x->active = 1;
	u->last_io = gw_mono();
	/*
	 * Kick it now rather than on curl's 0 ms timer a loop turn later: the
	 * request goes out (or the connection starts) in this turn. Finished
	 * transfers are collected by the next event; done() never runs here,
	 * inside the caller's dispatch.
	 */
	if (!u->in_check) {
		u->in_check = 1;
		curl_multi_socket_action(u->multi, CURL_SOCKET_TIMEOUT, 0, &u->running);
		u->in_check = 0;
	}
	return 0;
}

void up_cancel(struct gw_upstreams *u, struct up_xfer *x)
{
	if (!x->active)
		return;
	curl_multi_remove_handle(u->multi, x->easy);
	x->active = 0;
}

int up_running(const struct gw_upstreams *u)
{
	return u->running;
}

double up_last_io(const struct gw_upstreams *u)
{
	return u->last_io;
}
