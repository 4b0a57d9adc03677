/*
 * state_int.h - what state.c and state_lua.c share (internal to the shared
 * gateway state; see state.h). The scripts are static strings.
 */
#ifndef AICOST_GW_STATE_INT_H
#define AICOST_GW_STATE_INT_H

enum { SC_ADMIT, SC_SETTLE, SC_SEED, SC_RENEW, SC__N };

extern const char *const state_lua[SC__N];

#endif
