/*
 * open.c - store_open: the one place that picks the ledger backend from its
 * name (a clickhouse:// URL or a SQLite file path), so every command, the
 * server and the gateway's ledger writer accept the same --db values.
 */
#include "store/store.h"

struct store *store_open(const char *path, int create)
{
	if (store_is_clickhouse_url(path))
		return store_clickhouse_open(path, create);
	return store_sqlite_open(path, create);
}
