/*
 * assets.h - the dashboard's files, embedded in the binary at build time:
 * scripts/embed-web.py writes $(BUILD)/gen/web_assets.c from web/ and the
 * uPlot files of web/node_modules (see the Makefile), so `aicost serve`
 * needs nothing on disk. Each asset has its gzip form and an ETag (a hash of
 * its bytes). Everything is static, read-only data.
 */
#ifndef AICOST_HTTP_ASSETS_H
#define AICOST_HTTP_ASSETS_H

#include <stddef.h>

struct web_asset {
	const char *path;            /* URL path: "/index.html", "/assets/app.js" */
	const char *ctype;
	const unsigned char *data;
	size_t len;
	const unsigned char *gz;     /* gzip of data */
	size_t gzlen;
	const char *etag;            /* quoted */
};

extern const struct web_asset web_assets[];
extern const size_t web_nassets;

#endif
