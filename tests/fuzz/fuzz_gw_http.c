/*
 * fuzz_gw_http.c - HTTP/1.1 request heads and chunked bodies as clients
 * send them to the gateway: every span stays inside the input, a decoded
 * chunked body is never longer than its encoding or the limit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "gateway/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	memcpy(buf, data, size);
	struct http_req r;
	const char *why;
	int rc = http_parse_head(buf, size, &r, &why);
	if (rc == 1) {
		if (r.head_len > size)
			abort();
		for (size_t i = 0; i < r.nh; i++)
			if (r.h[i].name.p < buf || r.h[i].value.p + r.h[i].value.n > buf + size)
				abort();
		(void)http_header_get(&r, "authorization");
		size_t body = 0;
		int64_t u = http_chunked(buf + r.head_len, size - r.head_len, 1 << 16, &body);
		if (u > 0 && ((size_t)u > size - r.head_len || body > (size_t)u || body > (1 << 16)))
			abort();
	} else if (rc < 0 && !why) {
		abort();
	}
	free(buf);
	return 0;
}
