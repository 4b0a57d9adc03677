/* input.c - transparent decompression + content hash; see input.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <zlib.h>
#include <zstd.h>
#include "formats/input.h"
#include "util/err.h"

#define RAW_CHUNK (1u << 20)

struct input {
	int fd;
	char *name;
	enum input_codec codec;
	EVP_MD_CTX *md;
	unsigned char *raw;
	size_t raw_len, raw_pos;     /* buffered raw bytes not yet consumed */
	uint64_t raw_total;          /* raw bytes read from fd */
	int64_t size;
	int raw_eof;
	z_stream z;
	int z_init, z_end;
	ZSTD_DStream *zs;
	size_t zs_ret;
};

static int fill_raw(struct input *in)
{
	if (in->raw_pos < in->raw_len || in->raw_eof)
		return 0;
	ssize_t got;
	do
		got = read(in->fd, in->raw, RAW_CHUNK);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return error("%s: read: %s", in->name, strerror(errno));
	if (got == 0)
		in->raw_eof = 1;
	EVP_DigestUpdate(in->md, in->raw, (size_t)got);
	in->raw_len = (size_t)got;
	in->raw_pos = 0;
	in->raw_total += (uint64_t)got;
	return 0;
}

struct input *input_open(const char *path)
{
	struct input *in = xcalloc(1, sizeof *in);
	struct stat st;

	in->name = xstrdup(strcmp(path, "-") == 0 ? "<stdin>" : path);
	in->size = -1;
	if (strcmp(path, "-") == 0) {
		in->fd = 0;
	} else {
		in->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (in->fd < 0) {
			error("%s: %s", path, strerror(errno));
			free(in->name);
			free(in);
			return NULL;
		}
		if (fstat(in->fd, &st) == 0 && S_ISREG(st.st_mode))
			in->size = st.st_size;
		if (fstat(in->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
			error("%s: is a directory", path);
			close(in->fd);
			free(in->name);
			free(in);
			return NULL;
		}
#ifdef POSIX_FADV_SEQUENTIAL
		posix_fadvise(in->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
	}
	in->md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(in->md, EVP_sha256(), NULL);
	in->raw = xmalloc(RAW_CHUNK);
	if (fill_raw(in) < 0) {
		input_close(in);
		return NULL;
	}
	if (in->raw_len >= 2 && in->raw[0] == 0x1f && in->raw[1] == 0x8b) {
		in->codec = INPUT_GZIP;
		/* 15+32: zlib header auto-detection, accepting gzip. */
		if (inflateInit2(&in->z, 15 + 32) != Z_OK) {
			error("%s: cannot start gzip decoder", in->name);
			input_close(in);
			return NULL;
		}
		in->z_init = 1;
	} else if (in->raw_len >= 4 && memcmp(in->raw, "\x28\xb5\x2f\xfd", 4) == 0) {
		in->codec = INPUT_ZSTD;
		in->zs = ZSTD_createDStream();
		ZSTD_initDStream(in->zs);
	}
	return in;
}

static ssize_t read_plain(struct input *in, unsigned char *buf, size_t n)
{
	if (fill_raw(in) < 0)
		return -1;
	size_t avail = in->raw_len - in->raw_pos;
	if (n > avail)
		n = avail;
	memcpy(buf, in->raw + in->raw_pos, n);
	in->raw_pos += n;
	return (ssize_t)n;
}

static ssize_t read_gzip(struct input *in, unsigned char *buf, size_t n)
{
	in->z.next_out = buf;
	in->z.avail_out = (uInt)(n > UINT32_MAX ? UINT32_MAX : n);
	while (in->z.avail_out == n) {
		if (in->z_end) {
			/* Concatenated gzip members: restart if more input follows. */
			if (fill_raw(in) < 0)
				return -1;
			if (in->raw_pos >= in->raw_len)
				return 0;
			inflateReset(&in->z);
			in->z_end = 0;
		}
		if (fill_raw(in) < 0)
			return -1;
		if (in->raw_pos >= in->raw_len && in->raw_eof)
			return error("%s: truncated gzip stream", in->name);
		in->z.next_in = in->raw + in->raw_pos;
		in->z.avail_in = (uInt)(in->raw_len - in->raw_pos);
		int rc = inflate(&in->z, Z_NO_FLUSH);
		in->raw_pos = in->raw_len - in->z.avail_in;
		if (rc == Z_STREAM_END)
			in->z_end = 1;
		else if (rc != Z_OK && rc != Z_BUF_ERROR)
			return error("%s: corrupt gzip data: %s", in->name, in->z.msg ? in->z.msg : "inflate failed");
	}
	return (ssize_t)(n - in->z.avail_out);
}

static ssize_t read_zstd(struct input *in, unsigned char *buf, size_t n)
{
	ZSTD_outBuffer out = { buf, n, 0 };
	while (out.pos == 0) {
		if (fill_raw(in) < 0)
			return -1;
		if (in->raw_pos >= in->raw_len && in->raw_eof) {
			if (in->zs_ret != 0)
				return error("%s: truncated zstd stream", in->name);
			return 0;
		}
		ZSTD_inBuffer zin = { in->raw, in->raw_len, in->raw_pos };
		size_t rc = ZSTD_decompressStream(in->zs, &out, &zin);
		in->raw_pos = zin.pos;
		if (ZSTD_isError(rc))
			return error("%s: corrupt zstd data: %s", in->name, ZSTD_getErrorName(rc));
		in->zs_ret = rc;
	}
	return (ssize_t)out.pos;
}

ssize_t input_read(void *ctx, void *buf, size_t n)
{
	struct input *in = ctx;
	switch (in->codec) {
	case INPUT_GZIP:
		return read_gzip(in, buf, n);
	case INPUT_ZSTD:
		return read_zstd(in, buf, n);
	default:
		return read_plain(in, buf, n);
	}
}

static void to_hex(const unsigned char *d, size_t n, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		hex[2 * i] = digits[d[i] >> 4];
		hex[2 * i + 1] = digits[d[i] & 15];
	}
	hex[2 * n] = 0;
}

void input_sha256(struct input *in, char hex[65])
{
	unsigned char d[32];
	unsigned int len = 0;
	/* Hash whatever raw bytes remain, so the digest covers the whole file. */
	while (!in->raw_eof) {
		in->raw_pos = in->raw_len;
		if (fill_raw(in) < 0)
			break;
	}
	EVP_DigestFinal_ex(in->md, d, &len);
	to_hex(d, 32, hex);
}

void sha256_hex(const void *p, size_t n, char hex[65])
{
	unsigned char d[32];
	unsigned int len = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	EVP_DigestUpdate(md, p, n);
	EVP_DigestFinal_ex(md, d, &len);
	EVP_MD_CTX_free(md);
	to_hex(d, 32, hex);
}

uint64_t input_raw_pos(const struct input *in) { return in->raw_total; }
int64_t input_raw_size(const struct input *in) { return in->size; }
enum input_codec input_codec(const struct input *in) { return in->codec; }
const char *input_name(const struct input *in) { return in->name; }

void input_close(struct input *in)
{
	if (!in)
		return;
	if (in->fd > 0)
		close(in->fd);
	if (in->z_init)
		inflateEnd(&in->z);
	if (in->zs)
		ZSTD_freeDStream(in->zs);
	EVP_MD_CTX_free(in->md);
	free(in->raw);
	free(in->name);
	free(in);
}
