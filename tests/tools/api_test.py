#!/usr/bin/env python3
"""api_test.py URL DIR: the JSON API of a running `aicost serve` against the
CLI on the same ledger (tests/sh/test_serve.sh starts both; DIR holds the
fixture of tests/tools/serve_fixture.sh). Checks:

  - every endpoint answers exactly the bytes of the CLI's --format json
    (--format csv for /api/report.csv) for the same options;
  - the auth matrix: no token, a bad token, admin, and team tokens, on every
    endpoint (401 / 403 JSON errors; team tokens see only their team's rows,
    totals included, and cannot ask for another team);
  - bad parameters on every endpoint get 400 with a message naming them;
  - /metrics passes the strict exposition-format checker; the OpenAPI
    document lists every endpoint; HEAD, 404, 405, caching and headers.
Prints one line per failed check and exits 1 if any failed."""
import hashlib
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import prom_strict  # noqa: E402

URL, DIR = sys.argv[1].rstrip('/'), sys.argv[2]
BIN = os.environ.get('AICOST_BIN', 'aicost')
TOK = dict(l.strip().split('=', 1) for l in open(os.path.join(DIR, 'tokens.env')) if '=' in l)
ADMIN, CHATBOT, FRAUD = TOK['ADMIN_TOKEN'], TOK['CHATBOT_TOKEN'], TOK['FRAUD_TOKEN']
fails, checks = [], 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        fails.append(what)
        print('FAIL: ' + what)
    return cond


def get(path, token=None, method='GET', headers=None):
    req = urllib.request.Request(URL + path, method=method)
    if token:
        req.add_header('Authorization', 'Bearer ' + token)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


def cli(*args):
    env = dict(os.environ, AICOST_NOW='2026-10-31')
    p = subprocess.run([BIN, '--db', os.path.join(DIR, 'aicost.db'), '--config', os.path.join(DIR, 'aicost.yaml'),
                        '--quiet'] + list(args), capture_output=True, env=env)
    return p.stdout


def q(params):
    return urllib.parse.urlencode(params)


import urllib.parse  # noqa: E402

# ---- parity with the CLI, admin token -------------------------------------------
CASES = [
    ('report', [('by', 'team')], ['report', '--by', 'team']),
    ('report', [('by', 'team,month'), ('where', 'env=prod'), ('cost', 'billed')],
     ['report', '--by', 'team,month', '--where', 'env=prod', '--cost', 'billed']),
    ('report', [('by', 'ServiceName,tag:team'), ('from', '2026-10-05'), ('to', '2026-10-12'), ('no-shared', '1')],
     ['report', '--by', 'ServiceName,tag:team', '--from', '2026-10-05', '--to', '2026-10-12', '--no-shared']),
    ('report', [('by', 'spend,model'), ('where', 'ServiceCategory=AI and Machine Learning'),
                ('where', 'env=prod')],
     ['report', '--by', 'spend,model', '--where', 'ServiceCategory=AI and Machine Learning', '--where', 'env=prod']),
    ('gpu', [('by', 'team')], ['gpu', '--by', 'team']),
    ('gpu', [('by', 'host,day'), ('idle-threshold', '10')], ['gpu', '--by', 'host,day', '--idle-threshold', '10']),
    ('unit-cost', [('metric', 'transactions_scored'), ('by', 'team,month')],
     ['unit-cost', '--metric', 'transactions_scored', '--by', 'team,month']),
    ('unit-cost', [('metric', '1k_tokens'), ('by', 'model,team')], ['unit-cost', '--metric', '1k_tokens', '--by', 'model,team']),
    ('carbon', [('by', 'team')], ['carbon', '--by', 'team']),
    ('anomalies', [('by', 'team')], ['anomalies', '--by', 'team']),
    ('anomalies', [('sensitivity', 'high'), ('direction', 'both')], ['anomalies', '--sensitivity', 'high', '--direction', 'both']),
    ('forecast', [('by', 'team'), ('horizon', '14')], ['forecast', '--by', 'team', '--horizon', '14']),
    ('forecast', [('backtest', ''), ('level', '90')], ['forecast', '--backtest', '--level', '90']),
    ('budgets', [('as-of', '2026-10-20')], ['budgets', '--as-of', '2026-10-20', '--no-notify']),
    ('budgets', [('as-of', '2026-10-20'), ('name', 'chatbot-monthly')],
     ['budgets', '--as-of', '2026-10-20', '--no-notify', '--name', 'chatbot-monthly']),
    ('sources', [], ['sources']),
    ('check', [('as-of', '2026-10-20')], ['check', '--as-of', '2026-10-20']),
]
for ep, params, args in CASES:
    st, body, h = get('/api/%s?%s' % (ep, q(params)), ADMIN)
    want = cli(*(args + ['--format', 'json']))
    check(st == 200 and body == want and len(want) > 20,
          'admin /api/%s?%s equals `aicost %s --format json` (status %d, %d vs %d bytes)'
          % (ep, q(params), ' '.join(args), st, len(body), len(want)))
    check(h.get('Content-Type', '').startswith('application/json'), '/api/%s Content-Type json' % ep)
    check(h.get('Cache-Control') == 'no-store', '/api/%s Cache-Control: no-store' % ep)
# /api/recommend exists when the build has the recommend engine (/api/meta says so).
if json.loads(get('/api/meta', ADMIN)[1])['recommend']:
    st, body, _ = get('/api/recommend', ADMIN)
    check(st == 200 and body == cli('recommend', '--format', 'json'), 'admin /api/recommend equals `aicost recommend --format json`')
    st, body, _ = get('/api/recommend?' + q([('where', 'team=chatbot')]), CHATBOT)
    check(st == 200 and body == cli('recommend', '--where', 'team=chatbot', '--format', 'json'),
          'chatbot token /api/recommend equals the CLI with --where team=chatbot')
    check(get('/api/recommend?kind=no-such-kind', ADMIN)[0] == 400, '/api/recommend?kind=no-such-kind: 400')
    check(get('/api/recommend?' + q([('where', 'team=fraud-detection')]), CHATBOT)[0] == 403, 'team token asking for another team on /api/recommend: 403')
else:
    check(get('/api/recommend', ADMIN)[0] == 404, '/api/recommend is 404 in a build without the recommend engine')
st, body, h = get('/api/report.csv?by=team,month', ADMIN)
check(st == 200 and body == cli('report', '--by', 'team,month', '--format', 'csv') and h['Content-Type'].startswith('text/csv'),
      '/api/report.csv equals `aicost report --format csv`')

# ---- the auth matrix ---------------------------------------------------------------
ENDPOINTS = ['/api/report', '/api/report.csv', '/api/gpu', '/api/unit-cost?metric=tokens', '/api/carbon',
             '/api/anomalies', '/api/forecast', '/api/budgets', '/api/sources', '/api/check', '/api/meta',
             '/api/session', '/metrics']
ADMIN_ONLY = {'/api/sources', '/api/check', '/metrics'}
for ep in ENDPOINTS:
    st, body, h = get(ep)
    check(st == 401 and json.loads(body)['error']['code'] == 'unauthorized' and 'Bearer' in h.get('WWW-Authenticate', ''),
          'no token on %s: 401 JSON with WWW-Authenticate (got %d)' % (ep, st))
    st, body, _ = get(ep, 'aic_not-a-token')
    check(st == 401 and json.loads(body)['error']['message'], 'unknown token on %s: 401 (got %d)' % (ep, st))
    st, body, _ = get(ep, headers={'Authorization': 'Basic ' + ADMIN})
    check(st == 401, 'Basic credentials on %s: 401 (got %d)' % (ep, st))
    st, body, _ = get(ep, ADMIN)
    check(st == 200, 'admin on %s: 200 (got %d %s)' % (ep, st, body[:200]))
    st, body, _ = get(ep, CHATBOT)
    if ep in ADMIN_ONLY:
        check(st == 403 and json.loads(body)['error']['code'] == 'forbidden', 'team token on %s: 403 JSON (got %d)' % (ep, st))
    else:
        check(st == 200, 'team token on %s: 200 (got %d %s)' % (ep, st, body[:200]))
for path in ['/healthz', '/api/health', '/api/openapi.json', '/', '/assets/app.js']:
    st, _, _ = get(path)
    check(st == 200, '%s needs no token (got %d)' % (path, st))
# a token differing in one character, and the hash itself, are not tokens
check(get('/api/report', ADMIN[:-1] + ('x' if ADMIN[-1] != 'x' else 'y'))[0] == 401, 'a near-miss token is refused')
check(get('/api/report', hashlib.sha256(ADMIN.encode()).hexdigest())[0] == 401, 'the stored hash is not a token')

# Team scope: every endpoint equals the CLI with --where team=TEAM, and only that team appears.
for token, team in ((CHATBOT, 'chatbot'), (FRAUD, 'fraud-detection')):
    st, body, _ = get('/api/session', token)
    s = json.loads(body)
    check(s['role'] == 'team' and s['team'] == team and s['auth'] is True, 'session of the %s token' % team)
    for ep, params, args in [
            ('report', [('by', 'team')], ['report', '--by', 'team']),
            ('report', [('by', 'ServiceName,month')], ['report', '--by', 'ServiceName,month']),
            ('report', [('by', 'team'), ('where', 'team=' + team)], ['report', '--by', 'team']),
            ('gpu', [('by', 'team')], ['gpu', '--by', 'team']),
            ('unit-cost', [('metric', '1k_tokens'), ('by', 'team')], ['unit-cost', '--metric', '1k_tokens', '--by', 'team']),
            ('carbon', [('by', 'team')], ['carbon', '--by', 'team']),
            ('anomalies', [('by', 'team')], ['anomalies', '--by', 'team']),
            ('forecast', [('by', 'team')], ['forecast', '--by', 'team'])]:
        st, body, _ = get('/api/%s?%s' % (ep, q(params)), token)
        want = cli(*(args + ['--where', 'team=' + team, '--format', 'json']))
        check(st == 200 and body == want, '%s token /api/%s?%s equals the CLI with --where team=%s' % (team, ep, q(params), team))
        doc = json.loads(body) if st == 200 else {}
        for row in doc.get('rows', []):
            if 'team' in row:
                check(row['team'] == team, '%s token sees only its team in /api/%s (saw %s)' % (team, ep, row['team']))
    # totals: the team's report total is its own cost, not the organisation's
    t = json.loads(get('/api/report?by=ServiceName', token)[1])['total']
    org = json.loads(get('/api/report?by=ServiceName', ADMIN)[1])['total']
    own = json.loads(cli('report', '--by', 'ServiceName', '--where', 'team=' + team, '--format', 'json'))['total']
    check(t == own and t < org, '%s token total %s is its own (org %s)' % (team, t, org))
    # budgets: only the team's
    b = json.loads(get('/api/budgets?as-of=2026-10-20', token)[1])['budgets']
    check([x['scope'] for x in b] == [{'team': team}], '%s token sees only its budgets: %s' % (team, [x['name'] for x in b]))
    m = json.loads(get('/api/meta', token)[1])
    check(m['team'] == team and all(team in n for n in m['budgets']), '%s token meta lists only its budgets' % team)
    # escaping the scope
    other = 'fraud-detection' if team == 'chatbot' else 'chatbot'
    for ep in ['/api/report', '/api/gpu', '/api/forecast', '/api/anomalies', '/api/carbon', '/api/unit-cost?metric=tokens']:
        sep = '&' if '?' in ep else '?'
        st, body, _ = get(ep + sep + q([('where', 'team=' + other)]), token)
        check(st == 403 and team in json.loads(body)['error']['message'],
              '%s token asking for team %s on %s: 403 (got %d)' % (team, other, ep, st))
    st, body, _ = get('/api/report?' + q([('where', 'tag:team=' + other), ('by', 'team')]), token)
    rows = json.loads(body)['rows'] if st == 200 else None
    check(st == 200 and all(r['team'] == team for r in rows), '%s token: a tag:team filter stays inside the team' % team)

# ---- bad parameters: 400 with a message ---------------------------------------------
BAD = [
    ('/api/report?cost=gross', 'cost'), ('/api/report?from=2026-13-01', 'from'), ('/api/report?to=yesterday', 'to'),
    ('/api/report?by=NoSuchThing', 'NoSuchThing'), ('/api/report?where=team', 'team'), ('/api/report?frobnicate=1', 'frobnicate'),
    ('/api/report?by=team&by=month', 'by'), ('/api/report?format=csv', 'format'), ('/api/report?chargeback=/tmp/x', 'chargeback'),
    ('/api/report?no-shared=maybe', 'no-shared'), ('/api/report?by=%zz', '%'), ('/api/report?by=%01', 'control'),
    ('/api/report?by=%ff', 'UTF-8'), ('/api/report?=x', 'name'), ('/api/report?BY=team', 'BY'),
    ('/api/report.csv?cost=gross', 'cost'),
    ('/api/gpu?idle-threshold=200', 'idle-threshold'), ('/api/gpu?by=nosuchdim', 'nosuchdim'),
    ('/api/unit-cost', 'metric'), ('/api/unit-cost?metric=no_such_metric', 'no_such_metric'),
    ('/api/carbon?cpu-util=150', 'cpu-util'), ('/api/carbon?by=nosuch', 'nosuch'),
    ('/api/anomalies?sensitivity=extreme', 'sensitivity'), ('/api/anomalies?min-impact=-3', 'min-impact'),
    ('/api/anomalies?direction=sideways', 'direction'), ('/api/anomalies?drivers=a,b,c,d,e,f,g,h,i', 'drivers'),
    ('/api/forecast?horizon=0', 'horizon'), ('/api/forecast?level=150', 'level'), ('/api/forecast?scenario=/etc/passwd', 'scenario'),
    ('/api/budgets?as-of=someday', 'as-of'), ('/api/budgets?name=nope', 'nope'), ('/api/budgets?fail-on=breach', 'fail-on'),
    ('/api/budgets?cost=x', 'cost'), ('/api/sources?format=json', 'format'), ('/api/check?from=x', 'from'),
    ('/api/check?strict=1', 'strict'), ('/api/meta?x=1', 'x'), ('/metrics?x=1', 'x'),
    ('/api/report?' + '&'.join('where=a%d=b' % i for i in range(70)), '64'),
]
for path, word in BAD:
    st, body, _ = get(path, ADMIN)
    try:
        e = json.loads(body)['error']
    except Exception:
        e = {}
    check(st == 400 and e.get('code') == 'bad_request' and word in e.get('message', ''),
          '%s: 400 naming %r (got %d %s)' % (path, word, st, body[:200]))

# ---- /metrics, OpenAPI, HTTP details ---------------------------------------------------
st, body, h = get('/metrics', ADMIN)
res = prom_strict.check(body)
errs = res if isinstance(res, list) else res[0]
check(st == 200 and not errs, '/metrics passes the strict format check: %s' % errs[:5])
check(h.get('Content-Type') == 'text/plain; version=0.0.4; charset=utf-8', '/metrics Content-Type')
for fam in ['aicost_team_spend_month_to_date', 'aicost_service_spend_month_to_date', 'aicost_model_spend_month_to_date',
            'aicost_budget_remaining', 'aicost_gpu_utilization_ratio', 'aicost_gpu_idle_cost', 'aicost_anomalies']:
    check(('# TYPE %s gauge' % fam).encode() in body, '/metrics has %s' % fam)
# the team spend gauge equals the report
rep = json.loads(cli('report', '--by', 'team', '--from', '2026-10-01', '--to', '2026-10-31', '--format', 'json'))
for row in rep['rows']:
    line = 'aicost_team_spend_month_to_date{team="%s",currency="USD"} ' % row['team']
    got = [l for l in body.decode().split('\n') if l.startswith(line)]
    check(len(got) == 1 and float(got[0].split(' ')[1]) == row['cost'], 'metrics team %s = report' % row['team'])

st, body, _ = get('/api/openapi.json')
doc = json.loads(body)
paths = set(doc['paths'])
for p in ['/api/report', '/api/report.csv', '/api/gpu', '/api/unit-cost', '/api/carbon', '/api/anomalies', '/api/forecast',
          '/api/budgets', '/api/sources', '/api/check', '/api/meta', '/api/session', '/metrics', '/healthz',
          '/api/health', '/api/openapi.json']:
    check(p in paths, 'OpenAPI lists %s' % p)
check(doc['openapi'].startswith('3.') and 'bearerAuth' in doc['components']['securitySchemes'], 'OpenAPI 3 with bearer auth')
rp = {x['name'] for x in doc['paths']['/api/report']['get']['parameters']}
check({'by', 'where', 'from', 'to', 'cost', 'no-shared'} <= rp and 'format' not in rp and 'chargeback' not in rp,
      'OpenAPI report parameters: %s' % sorted(rp))

st, body, _ = get('/api/nope', ADMIN)
check(st == 404 and json.loads(body)['error']['code'] == 'not_found', 'unknown endpoint: 404 JSON')
st, body, h = get('/api/report', ADMIN, method='POST')
check(st == 405 and 'GET' in h.get('Allow', ''), 'POST: 405 with Allow')
st, body, _ = get('/api/report?by=team', ADMIN, method='HEAD')
check(st == 200 and body == b'', 'HEAD: 200 without a body')
st1, _, h1 = get('/api/report?by=project', ADMIN)
st2, _, h2 = get('/api/report?by=project', ADMIN)
check(h2.get('X-Aicost-Cache') == 'hit', 'a repeated query is a cache hit (%s, %s)' % (h1.get('X-Aicost-Cache'), h2.get('X-Aicost-Cache')))
st, body, h = get('/', headers={'Accept-Encoding': 'gzip'})
check(st == 200 and h.get('Content-Encoding') == 'gzip' and 'default-src' in h.get('Content-Security-Policy', ''),
      'dashboard: gzip and a CSP')
etag = h.get('ETag')
st, _, _ = get('/', headers={'If-None-Match': etag})
check(st == 304, 'dashboard: 304 on If-None-Match')

print('api tests: %d checks, %d failed' % (checks, len(fails)))
sys.exit(1 if fails else 0)
