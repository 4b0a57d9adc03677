/*
 * gateway.h - run the LLM gateway (`aicost gateway`, docs/gateway.md).
 *
 * gateway_run() loads the `gateway:` config and the price catalog, replays
 * the spool of an earlier run into the ledger, restores each budget's spend
 * in its current period from the ledger, then serves on one event loop
 * until SIGINT/SIGTERM (in-flight requests get a grace period; everything
 * spooled is sealed and ingested before it returns).
 */
#ifndef AICOST_GATEWAY_H
#define AICOST_GATEWAY_H

struct config;

struct gateway_opts {
	const char *listen;          /* overrides gateway.listen when set */
	const char *db_path;         /* the ledger */
	const char *ready_file;      /* write "HOST:PORT\n" here once listening (tests, supervisors) */
};

/* 0 after a clean stop, -1 after reporting. */
int gateway_run(const struct config *cfg, const struct gateway_opts *o);

#endif
