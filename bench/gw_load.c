/*
 * gw_load: an HTTP/1.1 load generator for the gateway benchmark
 * (bench/gateway/run.sh). One thread, one libevent loop, keep-alive
 * connections, a small response parser (Content-Length and chunked).
 *
 *   gw_load --url http://127.0.0.1:PORT/v1/chat/completions [-H|--header 'K: V']...
 *           [--body JSON | --body-file F] MODE
 *
 * Modes:
 *   --rps R --duration S [--connections C] [--warmup S]
 *        open loop: request i is due at t0 + i/R whatever the answers do.
 *        It goes out on an idle connection at once; when all C are busy it
 *        waits in a queue and its latency counts from when it was due, so a
 *        slow server cannot hide behind a slow client (no coordinated
 *        omission). Latency: due (or sent) -> last response byte.
 *   --streams N --duration S [--ramp S]
 *        N connections, each sending the next (streaming) request as soon as
 *        the previous response ended: N concurrent streams. The first requests
 *        are spread over --ramp (1) s so the streams do not run in lockstep.
 *        Per request: time to the first body byte (ttfb) and to the last byte.
 *   --idle N [--hold S] [--ready-file F]
 *        opens N keep-alive connections, sends one request on each (at most
 *        256 at a time), then keeps them all open and idle for S seconds.
 *        Writes "ready" to F once all N are established, for the caller to
 *        sample the server's memory.
 *
 * Output: a human summary on stderr and one JSON object on stdout.
 * Latency samples are kept (all of them; runs are bounded) and sorted for
 * exact percentiles.
 *
 * Memory: connections and samples are malloc'd once at start (samples grow
 * by doubling) and freed at exit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

/* ---- time and samples ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct samples {
	uint64_t *v;
	size_t n, cap;
};

static void sample_add(struct samples *s, uint64_t x)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		uint64_t *v = realloc(s->v, cap * sizeof *v);
		if (!v)
			return;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = x;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile in microseconds (samples must be sorted). */
static double pct_us(const struct samples *s, double p)
{
	if (!s->n)
		return 0;
	size_t k = (size_t)(p / 100.0 * (double)s->n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > s->n)
		k = s->n;
	return (double)s->v[k - 1] / 1000.0;
}

/* ---- configuration ---- */

static struct {
	char host[256];
	int port;
	char path[2048];
	struct evbuffer *request; /* the whole request, built once */
	double rps, duration, warmup, hold, ramp;
	int connections, streams, idle;
	const char *ready_file;
} cfg = {.duration = 10, .warmup = 1, .hold = 5, .connections = 64, .ramp = 1};

enum mode { M_RATE, M_STREAMS, M_IDLE };
static enum mode mode = M_RATE;
static struct event_base *base;
static struct sockaddr_in target;

/* ---- results ---- */

static struct samples lat, ttfb;
static uint64_t n_sent, n_ok, n_bad_status, n_conn_err, n_measured;
static uint64_t n_due_measured; /* requests due in the window that went out */
static uint64_t n_due_window;   /* rate mode: requests due in the window */
static uint64_t n_bad_measured; /* answers in the window that were not 200 */
static uint64_t t_start, t_measure, t_end;

/* ---- connections ---- */

enum pstate { P_IDLE, P_HEAD, P_LEN, P_CHUNK_SIZE, P_CHUNK_DATA, P_CHUNK_CRLF, P_TRAILER };

struct conn {
	struct bufferevent *bev;
	int id;
	int connected;
	int busy;
	int close_after; /* the server said Connection: close */
	enum pstate ps;
	long remaining;
	int status;
	uint64_t t0;     /* latency start */
	uint64_t t_body; /* first body byte */
	int measured;    /* inside the measured window */
	int sent_once;   /* idle mode: its one request went out */
	int ramped;      /* streams mode: its first request is due */
	int idle_done;   /* idle mode: its one request is answered */
};

static struct conn *conns;
static int nconns;
static const char *req_flat; /* cfg.request as one block */
static size_t req_len;
static int *idle_stack, nidle; /* rate mode: connections free for a request */
static uint64_t queued;        /* rate mode: requests due but not sent */
static uint64_t *queue_t;      /* their due times (ring) */
static size_t queue_cap, queue_head;

static void conn_open(struct conn *c);
static void send_request(struct conn *c, uint64_t t0, uint64_t due);
static void conn_free_request(struct conn *c);

static void finish_response(struct conn *c)
{
	uint64_t t = now_ns();
	c->busy = 0;
	c->ps = P_IDLE;
	if (c->status == 200)
		n_ok++;
	else
		n_bad_status++;
	if (c->measured) { /* due inside the window; it may end after it */
		n_measured++;
		if (c->status == 200) { /* percentiles are of successful answers */
			sample_add(&lat, t - c->t0);
			if (mode == M_STREAMS)
				sample_add(&ttfb, (c->t_body ? c->t_body : t) - c->t0);
		} else {
			n_bad_measured++;
		}
	}
	if (c->close_after) {
		bufferevent_free(c->bev);
		c->bev = NULL;
		c->connected = 0;
		conn_open(c);
		return;
	}
	conn_free_request(c);
}

/* Parse as much of the response as has arrived. */
static void on_read(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	for (;;) {
		size_t len = evbuffer_get_length(in);
		if (c->ps == P_IDLE) {
			evbuffer_drain(in, len); /* nothing expected */
			return;
		}
		if (c->ps == P_HEAD) {
			struct evbuffer_ptr p = evbuffer_search(in, "\r\n\r\n", 4, NULL);
			if (p.pos < 0)
				return;
			size_t hl = (size_t)p.pos + 4;
			char h[16384]; /* the head, NUL-terminated for the string scans */
			if (hl >= sizeof h) {
				n_conn_err++;
				bufferevent_free(c->bev);
				c->bev = NULL;
				c->connected = 0;
				c->busy = 0;
				conn_open(c);
				return;
			}
			evbuffer_copyout(in, h, hl);
			h[hl] = 0;
			c->status = (hl > 12 && strncmp(h, "HTTP/1.", 7) == 0) ? atoi(h + 9) : 0;
			c->remaining = 0;
			int chunked = 0;
			c->close_after = strncmp(h, "HTTP/1.0", 8) == 0;
			for (char *line = strstr(h, "\r\n"); line && line < h + hl - 4; line = strstr(line + 2, "\r\n")) {
				char *l = line + 2;
				if (strncasecmp(l, "content-length:", 15) == 0)
					c->remaining = atol(l + 15);
				else if (strncasecmp(l, "transfer-encoding:", 18) == 0 && strstr(l, "chunked") &&
				         strstr(l, "chunked") < strstr(l, "\r\n"))
					chunked = 1;
				else if (strncasecmp(l, "connection:", 11) == 0 && strncasecmp(l + 11, " close", 6) == 0)
					c->close_after = 1;
			}
			evbuffer_drain(in, hl);
			if (chunked)
				c->ps = P_CHUNK_SIZE;
			else if (c->remaining > 0)
				c->ps = P_LEN;
			else {
				finish_response(c);
				return;
			}
			continue;
		}
		if (!len)
			return;
		if (!c->t_body)
			c->t_body = now_ns();
		if (c->ps == P_LEN) {
			size_t take = len < (size_t)c->remaining ? len : (size_t)c->remaining;
			evbuffer_drain(in, take);
			c->remaining -= (long)take;
			if (c->remaining == 0) {
				finish_response(c);
				return;
			}
			continue;
		}
		if (c->ps == P_CHUNK_SIZE || c->ps == P_TRAILER) {
			size_t n;
			char *line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF);
			if (!line)
				return;
			if (c->ps == P_TRAILER) {
				free(line);
				if (n == 0) {
					finish_response(c);
					return;
				}
				continue;
			}
			long sz = strtol(line, NULL, 16);
			free(line);
			if (sz == 0)
				c->ps = P_TRAILER;
			else {
				c->remaining = sz;
				c->ps = P_CHUNK_DATA;
			}
			continue;
		}
		if (c->ps == P_CHUNK_DATA) {
			size_t take = len < (size_t)c->remaining ? len : (size_t)c->remaining;
			evbuffer_drain(in, take);
			c->remaining -= (long)take;
			if (c->remaining == 0)
				c->ps = P_CHUNK_CRLF;
			continue;
		}
		if (c->ps == P_CHUNK_CRLF) {
			if (len < 2)
				return;
			evbuffer_drain(in, 2);
			c->ps = P_CHUNK_SIZE;
			continue;
		}
	}
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	if (what & BEV_EVENT_CONNECTED) {
		int one = 1;
		setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		c->connected = 1;
		conn_free_request(c);
		return;
	}
	/* error or EOF: a request in flight failed; reconnect */
	if (c->busy) {
		n_conn_err++;
		c->busy = 0;
	}
	bufferevent_free(c->bev);
	c->bev = NULL;
	c->connected = 0;
	if (mode != M_IDLE || !c->idle_done)
		conn_open(c);
}

static void conn_open(struct conn *c)
{
	c->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->ps = P_IDLE;
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&target, sizeof target) < 0) {
		n_conn_err++;
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
}

/* t0: when the latency clock starts (0: now); due: when the request was due
 * (0: now), which decides whether it is inside the measured window. */
static void send_request(struct conn *c, uint64_t t0, uint64_t due)
{
	uint64_t t = now_ns();
	c->busy = 1;
	c->ps = P_HEAD;
	c->t_body = 0;
	c->t0 = t0 ? t0 : t;
	if (!due)
		due = t;
	c->measured = due >= t_measure && due < t_end;
	if (c->measured)
		n_due_measured++;
	n_sent++;
	/*
	 * Write it now: the connection is idle, so its socket takes the request
	 * at once. Left to the bufferevent, the write would wait for a loop turn
	 * and two epoll_ctl() calls, which the latency clock (started above)
	 * would count, and which cost the machine CPU the servers need.
	 */
	struct evbuffer *out = bufferevent_get_output(c->bev);
	if (!evbuffer_get_length(out)) {
		ssize_t w = send(bufferevent_getfd(c->bev), req_flat, req_len, MSG_NOSIGNAL);
		if (w == (ssize_t)req_len)
			return;
		if (w > 0) {
			evbuffer_add(out, req_flat + w, req_len - (size_t)w);
			return;
		}
	}
	evbuffer_add_buffer_reference(out, cfg.request);
}

/* The connection can take a request: what it does depends on the mode. */
static void conn_free_request(struct conn *c)
{
	uint64_t t = now_ns();
	if (mode == M_STREAMS) {
		if (c->ramped && t < t_end)
			send_request(c, 0, 0);
		return;
	}
	if (mode == M_IDLE) { /* one request per connection, then idle */
		if (!c->sent_once) {
			c->sent_once = 1;
			send_request(c, 0, 0);
		} else {
			c->idle_done = 1;
		}
		return;
	}
	/* rate: serve the oldest queued request, else go idle */
	if (queued) {
		uint64_t due = queue_t[queue_head];
		queue_head = (queue_head + 1) % queue_cap;
		queued--;
		send_request(c, due, due);
		return;
	}
	idle_stack[nidle++] = c->id;
}

/* ---- rate mode ticker ---- */

static uint64_t next_due, due_step;
static struct event *tick, *end;

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	uint64_t t = now_ns();
	while (next_due <= t && next_due < t_end) {
		if (next_due >= t_measure)
			n_due_window++;
		if (nidle) {
			struct conn *c = &conns[idle_stack[--nidle]];
			/* sent on time: latency from now (the due time passed only by the
			 * timer's wake-up delay, the same for every server) */
			send_request(c, 0, next_due);
		} else if (queued < queue_cap) {
			queue_t[(queue_head + queued) % queue_cap] = next_due;
			queued++;
		} else {
			n_conn_err++; /* the queue is full: count it as an error */
		}
		next_due += due_step;
	}
	if (next_due >= t_end) {
		struct timeval tv = {1, 0}; /* let the last answers arrive */
		event_base_loopexit(base, &tv);
		return;
	}
	uint64_t wait = next_due > t ? next_due - t : 0;
	struct timeval tv = {(time_t)(wait / 1000000000u), (suseconds_t)(wait % 1000000000u / 1000)};
	evtimer_add(tick, &tv);
}

/* ---- streams / idle end ---- */

static void on_first(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	c->ramped = 1;
	if (c->connected && !c->busy)
		send_request(c, 0, 0);
}

static void on_end(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopexit(base, NULL);
}

static int idle_started;
static void on_idle_check(evutil_socket_t fd, short what, void *arg)
{
	/* open connections in waves of 256 until all are answered, then hold */
	int done = 0, pending = 0;
	for (int i = 0; i < idle_started; i++) {
		if (conns[i].idle_done)
			done++;
		else
			pending++;
	}
	while (pending < 256 && idle_started < nconns) {
		conn_open(&conns[idle_started]);
		conns[idle_started].id = idle_started;
		idle_started++;
		pending++;
	}
	struct event *self = arg;
	if (done == nconns) {
		int open = 0;
		for (int i = 0; i < nconns; i++)
			open += conns[i].connected;
		fprintf(stderr, "gw_load: %d connections established (%d open), holding %.1f s\n", done, open, cfg.hold);
		if (cfg.ready_file) {
			FILE *f = fopen(cfg.ready_file, "w");
			if (f) {
				fprintf(f, "ready %d\n", open);
				fclose(f);
			}
		}
		struct timeval tv = {(time_t)cfg.hold, (suseconds_t)((cfg.hold - (double)(time_t)cfg.hold) * 1e6)};
		event_base_loopexit(base, &tv);
		return;
	}
	struct timeval tv = {0, 20000};
	evtimer_add(self, &tv);
}

/* ---- main ---- */

static int parse_url(const char *u)
{
	if (strncmp(u, "http://", 7) != 0)
		return -1;
	const char *h = u + 7, *colon = strchr(h, ':'), *slash = strchr(h, '/');
	if (!colon || !slash || colon > slash || (size_t)(colon - h) >= sizeof cfg.host)
		return -1;
	memcpy(cfg.host, h, (size_t)(colon - h));
	cfg.host[colon - h] = 0;
	cfg.port = atoi(colon + 1);
	snprintf(cfg.path, sizeof cfg.path, "%s", slash);
	return 0;
}

static char *read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *b = NULL;
	size_t cap = 0, len = 0, r;
	do {
		if (len + 4096 > cap) {
			cap = cap ? cap * 2 : 8192;
			char *nb = realloc(b, cap);
			if (!nb) {
				free(b);
				fclose(f);
				return NULL;
			}
			b = nb;
		}
		r = fread(b + len, 1, cap - len, f);
		len += r;
	} while (r > 0);
	fclose(f);
	*n = len;
	return b;
}

static void usage(void)
{
	fprintf(stderr, "usage: gw_load --url http://HOST:PORT/PATH [--header 'K: V']... [--body S | --body-file F]\n"
	                "               (--rps R [--connections C] | --streams N | --idle N [--hold S] [--ready-file F])\n"
	                "               [--duration S] [--warmup S] [--ramp S] [--method M]\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"url", required_argument, 0, 'u'},       {"header", required_argument, 0, 'H'},
		{"body", required_argument, 0, 'b'},      {"body-file", required_argument, 0, 'B'},
		{"rps", required_argument, 0, 'r'},       {"connections", required_argument, 0, 'c'},
		{"streams", required_argument, 0, 's'},   {"idle", required_argument, 0, 'i'},
		{"hold", required_argument, 0, 'o'},      {"ready-file", required_argument, 0, 'f'},
		{"duration", required_argument, 0, 'd'},  {"warmup", required_argument, 0, 'w'},
		{"method", required_argument, 0, 'm'},    {"ramp", required_argument, 0, 'R'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	const char *url = NULL, *method = NULL;
	char *body = NULL;
	size_t body_len = 0;
	struct evbuffer *hdrs = evbuffer_new();
	int ch;
	while ((ch = getopt_long(argc, argv, "H:", lo, NULL)) != -1) {
		switch (ch) {
		case 'u': url = optarg; break;
		case 'H': evbuffer_add_printf(hdrs, "%s\r\n", optarg); break;
		case 'b':
			free(body);
			body = strdup(optarg);
			body_len = strlen(body);
			break;
		case 'B':
			free(body);
			body = read_file(optarg, &body_len);
			if (!body) {
				fprintf(stderr, "gw_load: %s: %s\n", optarg, strerror(errno));
				return 2;
			}
			break;
		case 'r': cfg.rps = atof(optarg), mode = M_RATE; break;
		case 'c': cfg.connections = atoi(optarg); break;
		case 's': cfg.streams = atoi(optarg), mode = M_STREAMS; break;
		case 'i': cfg.idle = atoi(optarg), mode = M_IDLE; break;
		case 'o': cfg.hold = atof(optarg); break;
		case 'f': cfg.ready_file = optarg; break;
		case 'd': cfg.duration = atof(optarg); break;
		case 'w': cfg.warmup = atof(optarg); break;
		case 'm': method = optarg; break;
		case 'R': cfg.ramp = atof(optarg); break;
		case 'h': usage(); return 0;
		default: usage(); return 2;
		}
	}
	if (!url || parse_url(url) < 0) {
		usage();
		return 2;
	}
	if ((mode == M_RATE && (cfg.rps <= 0 || cfg.connections < 1)) || cfg.duration <= 0 ||
	    (mode == M_STREAMS && cfg.streams < 1) || (mode == M_IDLE && cfg.idle < 1) || cfg.warmup < 0 ||
	    cfg.ramp < 0) {
		usage();
		return 2;
	}
	memset(&target, 0, sizeof target);
	target.sin_family = AF_INET;
	target.sin_port = htons((uint16_t)cfg.port);
	if (inet_pton(AF_INET, cfg.host, &target.sin_addr) != 1) {
		fprintf(stderr, "gw_load: %s: want an IPv4 address\n", cfg.host);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	cfg.request = evbuffer_new();
	evbuffer_add_printf(cfg.request, "%s %s HTTP/1.1\r\nHost: %s:%d\r\n", method ? method : body ? "POST" : "GET",
	                    cfg.path, cfg.host, cfg.port);
	evbuffer_add_buffer(cfg.request, hdrs);
	if (body) {
		evbuffer_add_printf(cfg.request, "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n", body_len);
		evbuffer_add(cfg.request, body, body_len);
	} else {
		evbuffer_add(cfg.request, "\r\n", 2);
	}
	req_len = evbuffer_get_length(cfg.request);
	req_flat = (const char *)evbuffer_pullup(cfg.request, -1);

	struct event_config *ec = event_config_new();
	event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER); /* timerfd: sub-ms pacing */
	base = event_base_new_with_config(ec);
	event_config_free(ec);

	nconns = mode == M_RATE ? cfg.connections : mode == M_STREAMS ? cfg.streams : cfg.idle;
	conns = calloc((size_t)nconns, sizeof *conns);
	idle_stack = calloc((size_t)nconns, sizeof *idle_stack);
	queue_cap = 1u << 20;
	queue_t = mode == M_RATE ? calloc(queue_cap, sizeof *queue_t) : NULL;
	if (!conns || !idle_stack || (mode == M_RATE && !queue_t))
		return 1;

	t_start = now_ns();
	if (mode == M_IDLE) {
		t_measure = 0;
		t_end = UINT64_MAX;
		struct event *chk = evtimer_new(base, on_idle_check, event_self_cbarg());
		struct timeval tv = {0, 0};
		evtimer_add(chk, &tv);
		event_base_dispatch(base);
		event_free(chk);
	} else {
		for (int i = 0; i < nconns; i++) {
			conns[i].id = i;
			conn_open(&conns[i]);
		}
		/* let the connections come up before the clock starts */
		struct timeval up = {0, 200000};
		event_base_loopexit(base, &up);
		event_base_dispatch(base);
		t_start = now_ns();
		t_measure = t_start + (uint64_t)(cfg.warmup * 1e9);
		t_end = t_measure + (uint64_t)(cfg.duration * 1e9);
		if (mode == M_RATE) {
			due_step = (uint64_t)(1e9 / cfg.rps);
			next_due = t_start;
			tick = evtimer_new(base, on_tick, NULL);
			struct timeval tv = {0, 0};
			evtimer_add(tick, &tv);
		} else {
			/* stagger the first requests over --ramp seconds: streams that
			 * all started together would send every chunk in lockstep */
			struct timeval tv0 = {0, 0};
			for (int i = 0; i < nconns; i++) {
				uint64_t at = (uint64_t)(cfg.ramp * 1e9 * i / nconns);
				struct timeval tv = {(time_t)(at / 1000000000u), (suseconds_t)(at % 1000000000u / 1000)};
				event_base_once(base, -1, EV_TIMEOUT, on_first, &conns[i], at ? &tv : &tv0);
			}
			end = evtimer_new(base, on_end, NULL);
			uint64_t left = t_end - now_ns() + 2000000000u; /* streams in flight may finish */
			struct timeval tv = {(time_t)(left / 1000000000u), (suseconds_t)(left % 1000000000u / 1000)};
			evtimer_add(end, &tv);
		}
		event_base_dispatch(base);
	}

	if (lat.n)
		qsort(lat.v, lat.n, sizeof *lat.v, cmp_u64);
	if (ttfb.n)
		qsort(ttfb.v, ttfb.n, sizeof *ttfb.v, cmp_u64);
	int open = 0;
	for (int i = 0; i < nconns; i++)
		open += conns[i].connected;
	const char *mname = mode == M_RATE ? "rate" : mode == M_STREAMS ? "streams" : "idle";
	double secs = mode == M_IDLE ? 0 : cfg.duration;
	/* requests due in the window that never got a complete answer (still
	 * queued, in flight at the end, or failed): they are not in the
	 * percentiles, so they are reported */
	uint64_t due = mode == M_RATE ? n_due_window : n_due_measured;
	uint64_t unanswered = due > n_measured ? due - n_measured : 0;
	printf("{\"unanswered\":%llu,\"failed\":%llu,", (unsigned long long)unanswered,
	       (unsigned long long)(unanswered + n_bad_measured));
	printf("\"mode\":\"%s\",\"sent\":%llu,\"ok\":%llu,\"bad_status\":%llu,\"conn_errors\":%llu,"
	       "\"measured\":%llu,\"rate\":%.1f,\"open_connections\":%d,"
	       "\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f",
	       mname, (unsigned long long)n_sent, (unsigned long long)n_ok, (unsigned long long)n_bad_status,
	       (unsigned long long)n_conn_err, (unsigned long long)n_measured, secs > 0 ? (double)n_measured / secs : 0,
	       open, pct_us(&lat, 50), pct_us(&lat, 90), pct_us(&lat, 99), lat.n ? (double)lat.v[lat.n - 1] / 1000 : 0);
	if (mode == M_STREAMS)
		printf(",\"ttfb_p50_us\":%.1f,\"ttfb_p90_us\":%.1f,\"ttfb_p99_us\":%.1f,\"ttfb_max_us\":%.1f",
		       pct_us(&ttfb, 50), pct_us(&ttfb, 90), pct_us(&ttfb, 99),
		       ttfb.n ? (double)ttfb.v[ttfb.n - 1] / 1000 : 0);
	printf("}\n");
	fflush(stdout);
	fprintf(stderr, "gw_load %s: %llu ok, %llu bad status, %llu connection errors; p50 %.0f us p99 %.0f us max %.0f us\n",
	        mname, (unsigned long long)n_ok, (unsigned long long)n_bad_status, (unsigned long long)n_conn_err,
	        pct_us(&lat, 50), pct_us(&lat, 99), lat.n ? (double)lat.v[lat.n - 1] / 1000 : 0);

	for (int i = 0; i < nconns; i++)
		if (conns[i].bev)
			bufferevent_free(conns[i].bev);
	free(conns);
	free(idle_stack);
	free(queue_t);
	free(lat.v);
	free(ttfb.v);
	free(body);
	evbuffer_free(cfg.request);
	evbuffer_free(hdrs);
	if (tick)
		event_free(tick);
	if (end)
		event_free(end);
	event_base_free(base);
	return n_ok > 0 ? 0 : 1;
}
