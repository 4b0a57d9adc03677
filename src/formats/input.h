/*
 * input.h - open an input file for streaming: plain, gzip or zstd (detected
 * from the magic bytes, not the name), or standard input for "-".
 *
 * While bytes are read, the SHA-256 of the raw (still compressed) file is
 * computed, so a source is identified by its content in the same single pass
 * that parses it. input_read() has the csv_read_fn signature.
 */
#ifndef AICOST_INPUT_H
#define AICOST_INPUT_H

#include <stdint.h>
#include <sys/types.h>

enum input_codec { INPUT_PLAIN, INPUT_GZIP, INPUT_ZSTD };

struct input;

/* Returns NULL after reporting the error. "-" means stdin. */
struct input *input_open(const char *path);
/* Decompressed bytes; 0 at end; -1 on error (reported). */
ssize_t input_read(void *in, void *buf, size_t n);
/* Finish: hex SHA-256 of the raw bytes (65 bytes incl. NUL). Call after EOF. */
void input_sha256(struct input *in, char hex[65]);
/* Raw bytes consumed so far and total size (-1 when unknown, e.g. a pipe). */
uint64_t input_raw_pos(const struct input *in);
int64_t input_raw_size(const struct input *in);
enum input_codec input_codec(const struct input *in);
const char *input_name(const struct input *in);
void input_close(struct input *in);

/* SHA-256 of a buffer as hex, for tests and small inputs. */
void sha256_hex(const void *p, size_t n, char hex[65]);

#endif
