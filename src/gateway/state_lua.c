/*
 * state_lua.c - the Lua scripts of the shared gateway state (state.c,
 * docs/gateway-redis.md). Each runs atomically inside Redis, so the
 * check-and-take of every instance is serialized there.
 *
 * Key layout (all keys of one request share the hash tag TAG, the team's
 * or the key's, so a script never crosses Redis Cluster slots):
 *   TAG:res    hash  reservation id -> msgpack {tokens, {ratekey, rpm, tpm, parallel}..., {budgetkey, amount}...}
 *                    or "done" (settled; kept one lease so a retried settlement is a no-op)
 *   TAG:resx   zset  reservation id, score = lease deadline (server ms)
 *   TAG:b:...  hash  a budget: p = period start (UTC day), s = spent, r = reserved (integer units),
 *                    f = the period whose soft alert went out; expires ttl after its period's first write
 *   TAG:r:...  hash  rate limits: r, t = rpm and tpm bucket levels, l = last refill (server seconds), p = in flight
 *
 * Integers are written with %d and amounts passed through as the decimal
 * strings the gateway sent, so nothing goes through an exponent form.
 * Every script starts with PRELUDE (server time and helpers).
 */
#include "gateway/state_int.h"

#define PRELUDE \
	"local t = redis.call('TIME')\n" \
	"local now = tonumber(t[1]) + tonumber(t[2]) / 1000000\n" \
	"local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n" \
	"local function I(x) return string.format('%d', x) end\n" \
	"local function F(x) return string.format('%.17g', x) end\n" \
	/* Roll a budget into period `start`; never back (a late clock counts in the newer period). The hash expires */ \
	/* ttl seconds after its period's first write (longer than the period: it is rolled or idle by then). */ \
	"local function roll(k, start, ttl)\n" \
	"  local v = redis.call('HMGET', k, 'p', 's', 'r')\n" \
	"  local p, s, r = tonumber(v[1]), tonumber(v[2]) or 0, tonumber(v[3]) or 0\n" \
	"  if not p or p < start then\n" \
	"    redis.call('HSET', k, 'p', I(start), 's', '0')\n" \
	"    if ttl > 0 then redis.call('EXPIRE', k, ttl) end\n" \
	"    p, s = start, 0\n" \
	"  end\n" \
	"  return p, s, r\n" \
	"end\n" \
	/* Token buckets refilled continuously (limits.c refill()); first use: full. Also returns the requests in flight. */ \
	"local function bucket(k, rpm, tpm)\n" \
	"  local v = redis.call('HMGET', k, 'r', 't', 'l', 'p')\n" \
	"  local rl, tl, last, inf = tonumber(v[1]), tonumber(v[2]), tonumber(v[3]), tonumber(v[4]) or 0\n" \
	"  if not last or not rl or not tl then\n" \
	"    rl, tl, last = rpm, tpm, now\n" \
	"  elseif now > last then\n" \
	"    local dt = now - last\n" \
	"    rl = math.min(rpm, rl + dt * rpm / 60)\n" \
	"    tl = math.min(tpm, tl + dt * tpm / 60)\n" \
	"    last = now\n" \
	"  end\n" \
	"  return rl, tl, last, inf\n" \
	"end\n" \
	/* Give back what a reservation took; used = tokens used (nil: unknown, the tpm tokens stay taken). */ \
	"local function release(rec, used)\n" \
	"  local x = cmsgpack.unpack(rec)\n" \
	"  local tok, rs, bs = x[1], x[2], x[3]\n" \
	"  for i = 1, #rs, 4 do\n" \
	"    local rk, rpm, tpm, par = rs[i], rs[i+1], rs[i+2], rs[i+3]\n" \
	"    if tpm > 0 and used then\n" \
	"      local rl, tl, last, inf = bucket(rk, rpm, tpm)\n" \
	"      tl = math.min(tpm, tl + tok - used)\n" \
	"      if par > 0 then inf = math.max(0, inf - 1) end\n" \
	"      redis.call('HSET', rk, 'r', F(rl), 't', F(tl), 'l', F(last), 'p', I(inf))\n" \
	"    elseif par > 0 and redis.call('HINCRBY', rk, 'p', -1) < 0 then\n" \
	"      redis.call('HSET', rk, 'p', '0')\n" \
	"    end\n" \
	"  end\n" \
	"  for i = 1, #bs, 2 do\n" \
	"    if redis.call('HINCRBY', bs[i], 'r', '-' .. bs[i+1]) < 0 then\n" \
	"      redis.call('HSET', bs[i], 'r', '0')\n" \
	"    end\n" \
	"  end\n" \
	"end\n" \
	/* Release the reservations whose lease ran out (their instance died or lost Redis), a bounded batch per call. */ \
	"local function purge(res, resx)\n" \
	"  local ids = redis.call('ZRANGEBYSCORE', resx, '-inf', now_ms, 'LIMIT', 0, 64)\n" \
	"  for i = 1, #ids do\n" \
	"    local rec = redis.call('HGET', res, ids[i])\n" \
	"    if rec and rec ~= 'done' then release(rec, nil) end\n" \
	"    redis.call('HDEL', res, ids[i])\n" \
	"    redis.call('ZREM', resx, ids[i])\n" \
	"  end\n" \
	"end\n"

/*
 * admit. KEYS: res, resx, then per account its rate hash (when it has rate
 * limits) and its budget hashes. ARGV: id, lease_ms, tokens, naccounts,
 * then per account: has_rate [rpm tpm parallel] nbudgets [start limit
 * amount ttl]... Reply: {1|2, used...} admitted (2: a reservation to
 * settle; used = spent + reserved of each budget after it), or
 * {0, 1 budget | 2 rate, account, budget index | 'p' | 'r' | 't', value}.
 */
static const char admit[] = PRELUDE
	"local res, resx, id, lease = KEYS[1], KEYS[2], ARGV[1], tonumber(ARGV[2])\n"
	"purge(res, resx)\n"
	"local tokens, n = tonumber(ARGV[3]), tonumber(ARGV[4])\n"
	"local ai, ki, acc = 5, 3, {}\n"
	"for a = 1, n do\n"
	"  local A = { has = tonumber(ARGV[ai]), b = {} }\n"
	"  ai = ai + 1\n"
	"  if A.has == 1 then\n"
	"    A.rk = KEYS[ki]\n"
	"    ki = ki + 1\n"
	"    A.rpm, A.tpm, A.par = tonumber(ARGV[ai]), tonumber(ARGV[ai+1]), tonumber(ARGV[ai+2])\n"
	"    ai = ai + 3\n"
	"    A.rl, A.tl, A.last, A.inf = bucket(A.rk, A.rpm, A.tpm)\n"
	"    if A.par > 0 and A.inf >= A.par then return {0, 2, a, 'p', I(A.inf)} end\n"
	"    if A.rpm > 0 and A.rl < 1 then return {0, 2, a, 'r', F((1 - A.rl) * 60 / A.rpm)} end\n"
	"    if A.tpm > 0 then\n"
	"      local need = math.min(tokens, A.tpm)\n"
	"      if A.tl < need then return {0, 2, a, 't', F((need - A.tl) * 60 / A.tpm)} end\n"
	"    end\n"
	"  end\n"
	"  local nb = tonumber(ARGV[ai])\n"
	"  ai = ai + 1\n"
	"  for j = 1, nb do\n"
	"    local k, start, lim, amt, ttl = KEYS[ki], tonumber(ARGV[ai]), tonumber(ARGV[ai+1]), ARGV[ai+2], tonumber(ARGV[ai+3])\n"
	"    ki = ki + 1\n"
	"    ai = ai + 4\n"
	"    local p, s, r = roll(k, start, ttl)\n"
	"    if s + r + tonumber(amt) > lim then return {0, 1, a, j, I(s + r)} end\n"
	"    A.b[j] = { k = k, amt = amt, used = s + r + tonumber(amt) }\n"
	"  end\n"
	"  acc[a] = A\n"
	"end\n"
	"local rs, bs, out = {}, {}, {1}\n"
	"for a = 1, n do\n"
	"  local A = acc[a]\n"
	"  if A.has == 1 then\n"
	"    if A.rpm > 0 then A.rl = A.rl - 1 end\n"
	"    if A.tpm > 0 then A.tl = A.tl - tokens end\n"
	"    if A.par > 0 then A.inf = A.inf + 1 end\n"
	"    redis.call('HSET', A.rk, 'r', F(A.rl), 't', F(A.tl), 'l', F(A.last), 'p', I(A.inf))\n"
	"    redis.call('EXPIRE', A.rk, 86400)\n"
	"    if A.par > 0 or A.tpm > 0 then\n"
	"      rs[#rs+1] = A.rk; rs[#rs+1] = A.rpm; rs[#rs+1] = A.tpm; rs[#rs+1] = A.par\n"
	"    end\n"
	"  end\n"
	"  for j = 1, #A.b do\n"
	"    local B = A.b[j]\n"
	"    redis.call('HINCRBY', B.k, 'r', B.amt)\n"
	"    bs[#bs+1] = B.k; bs[#bs+1] = B.amt\n"
	"    out[#out+1] = I(B.used)\n"
	"  end\n"
	"end\n"
	"if #rs > 0 or #bs > 0 then\n"
	"  redis.call('HSET', res, id, cmsgpack.pack({tokens, rs, bs}))\n"
	"  redis.call('ZADD', resx, now_ms + lease, id)\n"
	"  out[1] = 2\n"
	"end\n"
	"return out\n";

/*
 * settle (also a charge without reservation). KEYS: res, resx, then the
 * budget hashes to charge. ARGV: id, lease_ms, tokens used, then per
 * budget: start, amount, soft threshold (0: none), ttl. Reply: {0} already
 * settled, or {1, spent, fired, ...} per budget.
 */
static const char settle[] = PRELUDE
	"local res, resx, id, lease = KEYS[1], KEYS[2], ARGV[1], tonumber(ARGV[2])\n"
	"local rec = redis.call('HGET', res, id)\n"
	"if rec == 'done' then return {0} end\n"
	"if rec then release(rec, tonumber(ARGV[3])) end\n"
	"local out, ai = {1}, 4\n"
	"for ki = 3, #KEYS do\n"
	"  local k, start, amt, soft, ttl = KEYS[ki], tonumber(ARGV[ai]), ARGV[ai+1], tonumber(ARGV[ai+2]), tonumber(ARGV[ai+3])\n"
	"  ai = ai + 4\n"
	"  local p = roll(k, start, ttl)\n"
	"  local s = redis.call('HINCRBY', k, 's', amt)\n"
	"  local fired = 0\n"
	"  if soft > 0 and s >= soft and tonumber(redis.call('HGET', k, 'f')) ~= p then\n"
	"    redis.call('HSET', k, 'f', I(p))\n"
	"    fired = 1\n"
	"  end\n"
	"  out[#out+1] = I(s); out[#out+1] = fired\n"
	"end\n"
	"redis.call('HSET', res, id, 'done')\n"
	"redis.call('ZADD', resx, now_ms + lease, id)\n"
	"return out\n";

/*
 * seed. KEYS: budget hashes. ARGV per key: start, this instance's spend of
 * the period, ttl, 1 if this instance sent the period's soft alert. Raises
 * s to that spend and keeps the alert sent.
 */
static const char seed[] = PRELUDE
	"for i = 1, #KEYS do\n"
	"  local start, mine, ttl, sent = tonumber(ARGV[4*i-3]), tonumber(ARGV[4*i-2]), tonumber(ARGV[4*i-1]), ARGV[4*i]\n"
	"  local p, s = roll(KEYS[i], start, ttl)\n"
	"  if p == start and s < mine then redis.call('HSET', KEYS[i], 's', ARGV[4*i-2]) end\n"
	"  if p == start and sent == '1' then redis.call('HSET', KEYS[i], 'f', I(p)) end\n"
	"end\n"
	"return 1\n";

/* renew. KEYS: resx. ARGV: lease_ms, ids... Extends the leases that still exist. */
static const char renew[] = PRELUDE
	"for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', now_ms + tonumber(ARGV[1]), ARGV[i]) end\n"
	"return 1\n";

const char *const state_lua[SC__N] = { admit, settle, seed, renew };
