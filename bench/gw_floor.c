/*
 * gw_floor.c - the cheapest possible proxy hop, for bench/gateway/run.sh.
 *
 * A blind TCP relay: one epoll loop, and for every client connection one
 * connection to the upstream; bytes are copied both ways as they arrive,
 * with no parsing at all. It does none of a gateway's work, so the latency
 * it adds over the direct path is what one extra process on the request
 * path costs on the machine (its wake-ups, two more loopback hops); the
 * benchmark reports it as the target "floor", beside the gateways, so their
 * added latency can be read against it.
 *
 *   gw_floor --listen 127.0.0.1:PORT --upstream 127.0.0.1:PORT
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXFD 65536

static int peer[MAXFD]; /* the other end of each relayed descriptor, -1 none */

static int parse_addr(const char *s, struct sockaddr_in *a)
{
	char host[64];
	const char *c = strrchr(s, ':');
	if (!c || (size_t)(c - s) >= sizeof host)
		return -1;
	memcpy(host, s, (size_t)(c - s));
	host[c - s] = 0;
	memset(a, 0, sizeof *a);
	a->sin_family = AF_INET;
	a->sin_port = htons((unsigned short)atoi(c + 1));
	return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

static void drop(int ep, int fd)
{
	int p = peer[fd];
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	peer[fd] = -1;
	if (p >= 0 && p < MAXFD) {
		epoll_ctl(ep, EPOLL_CTL_DEL, p, NULL);
		close(p);
		peer[p] = -1;
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in la, ua;
	const char *listen_s = NULL, *up_s = NULL;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--listen"))
			listen_s = argv[i + 1];
		else if (!strcmp(argv[i], "--upstream"))
			up_s = argv[i + 1];
	}
	if (!listen_s || !up_s || parse_addr(listen_s, &la) < 0 || parse_addr(up_s, &ua) < 0) {
		fprintf(stderr, "usage: gw_floor --listen IP:PORT --upstream IP:PORT\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < MAXFD; i++)
		peer[i] = -1;
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(ls, (struct sockaddr *)&la, sizeof la) < 0 || listen(ls, 4096) < 0) {
		perror("gw_floor: listen");
		return 1;
	}
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = ls }, evs[256];
	epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
	static char buf[65536];
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == ls) {
				int c;
				while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					/* A blocking connect: loopback, and the relay starts only once it is up. */
					int u = socket(AF_INET, SOCK_STREAM, 0);
					if (c >= MAXFD || u < 0 || u >= MAXFD || connect(u, (struct sockaddr *)&ua, sizeof ua) < 0) {
						close(c);
						if (u >= 0)
							close(u);
						continue;
					}
					fcntl(u, F_SETFL, O_NONBLOCK);
					setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
					setsockopt(u, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
					peer[c] = u;
					peer[u] = c;
					ev.events = EPOLLIN;
					ev.data.fd = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
					ev.data.fd = u;
					epoll_ctl(ep, EPOLL_CTL_ADD, u, &ev);
				}
				continue;
			}
			if (peer[fd] < 0)
				continue;
			ssize_t r = read(fd, buf, sizeof buf);
			if (r <= 0) {
				if (r < 0 && errno == EAGAIN)
					continue;
				drop(ep, fd);
				continue;
			}
			/* Loopback and small messages: a short write would be a benchmark bug, not a case to handle. */
			if (write(peer[fd], buf, (size_t)r) != r)
				drop(ep, fd);
		}
	}
}
