/*
 * dashboard.mjs URL TOKENS_ENV SCREENSHOT_DIR - the dashboard in headless
 * Debian chromium (playwright-core, /usr/bin/chromium) against a running
 * `aicost serve` (tests/sh/test_serve_e2e.sh starts it on the test fixture).
 *
 * Opens every page, asserts that the numbers on screen equal the API's (the
 * test asks the API itself and formats with the display rules below: money
 * to cents with thousands separators), drives the controls with the mouse
 * and the keyboard, checks the team token's view, and saves a screenshot of
 * every page in SCREENSHOT_DIR. Exits 1 on the first failed assertion.
 */
import { chromium } from 'playwright-core';
import { readFileSync, writeFileSync } from 'node:fs';
import { strict as assert } from 'node:assert';

const [URL_, ENV, SHOTS] = process.argv.slice(2);
const url = URL_.replace(/\/$/, '');
const tok = Object.fromEntries(readFileSync(ENV, 'utf8').trim().split('\n').map((l) => l.split('=')));
const ADMIN = tok.ADMIN_TOKEN, CHATBOT = tok.CHATBOT_TOKEN;

// ---- the display rules (what a finance lead reads) ---------------------------------------
const group = (s) => { const [i, f] = s.split('.'); return i.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (f !== undefined ? '.' + f : ''); };
function money(v) {
  const neg = v < 0 && Math.round(-v * 100) !== 0;
  return (neg ? '-' : '') + '$' + group((Math.round(Math.abs(v) * 100) / 100).toFixed(2));
}
const num = (v, d) => (v < 0 && Math.round(-v * 10 ** d) !== 0 ? '-' : '') + group((Math.round(Math.abs(v) * 10 ** d) / 10 ** d).toFixed(d));
const pct = (a, b) => num((100 * a) / b, 1) + '%';
const show = (v) => (v === '' ? '(none)' : v);

async function api(path, params, token = ADMIN) {
  const u = new URL(url + path);
  for (const [k, v] of Object.entries(params || {})) [].concat(v).forEach((x) => u.searchParams.append(k, x));
  const r = await fetch(u, { headers: { Authorization: 'Bearer ' + token } });
  assert.equal(r.status, 200, `${path}: ${r.status}`);
  return (r.headers.get('content-type') || '').includes('json') ? r.json() : r.text();
}

const checks = [];
function eq(got, want, what) {
  checks.push(what);
  assert.deepEqual(got, want, what);
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
const errors = [];
async function newPage(ctxOpts) {
  const ctx = await browser.newContext(Object.assign({ viewport: { width: 1440, height: 900 }, acceptDownloads: true }, ctxOpts));
  const page = await ctx.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error' && !/401/.test(m.text())) errors.push(m.text()); });
  return page;
}
const text = (page, sel) => page.locator(sel).first().innerText();
async function rows(page, testid) {
  return page.locator(`[data-testid="${testid}"] tbody tr`).evaluateAll((trs) =>
    trs.map((tr) => Object.fromEntries([...tr.querySelectorAll('td')].map((td) => [td.dataset.col, td.innerText.trim()]))));
}
async function ready(page, id) {
  await page.waitForSelector(`main[data-ready="${id}"]`, { timeout: 30000 });
  await page.waitForTimeout(150);   // charts settle
}
async function shot(page, name) {
  // the same page should give the same picture: no hover, no focus ring (but on the focus shot), fonts loaded
  await page.mouse.move(1, 1);
  if (!name.includes('focus')) await page.evaluate(() => document.activeElement && document.activeElement.blur());
  await page.evaluate(() => document.fonts.ready);
  await page.waitForTimeout(100);
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true, animations: 'disabled', caret: 'hide' });
}

try {
  const page = await newPage();
  // ---- sign in -------------------------------------------------------------------------------
  await page.goto(url + '/');
  await page.waitForSelector('#token');
  await shot(page, '00-sign-in');
  await page.fill('#token', 'aic_wrong-token');
  await page.press('#token', 'Enter');
  await page.waitForSelector('.login .error');
  eq(await text(page, '.login .error'), 'That token was not accepted.', 'a wrong token is refused');
  await page.fill('#token', ADMIN);
  await page.press('#token', 'Enter');
  await ready(page, 'overview');
  const meta = await api('/api/meta');
  const to = meta.to, from = new Date(Date.parse(to) - 29 * 86400e3).toISOString().slice(0, 10);
  eq(await page.inputValue('#from'), from, 'the period defaults to the last 30 days of data (from)');
  eq(await page.inputValue('#to'), to, 'the period defaults to the last 30 days of data (to)');
  const R = { from, to, cost: 'effective' };

  // ---- overview ------------------------------------------------------------------------------
  {
    const rep = await api('/api/report', { ...R, by: 'day' });
    const team = await api('/api/report', { ...R, by: 'team' });
    const fc = await api('/api/forecast', { from: new Date(Date.parse(to) - 89 * 86400e3).toISOString().slice(0, 10), to, cost: 'effective', horizon: 30 });
    const an = await api('/api/anomalies', { to, cost: 'effective' });
    eq(await text(page, '[data-testid="kpi-spend"]'), money(rep.total), 'overview: spend = report total');
    eq(await text(page, '[data-testid="kpi-forecast"]'), money(fc.series[0].total), 'overview: forecast = forecast total');
    eq(await text(page, '[data-testid="kpi-untagged"]'), pct(rep.untagged, rep.total), 'overview: untagged share');
    eq(await text(page, '[data-testid="kpi-unallocated"]'), pct(rep.unallocated, rep.total), 'overview: unallocated share');
    eq(await text(page, '[data-testid="kpi-anomalies"]'), String(an.anomalies.filter((a) => a.end >= from).length), 'overview: anomalies in the period');
    if (meta.recommend) {
      const rec = await api('/api/recommend', R);
      eq(await text(page, '[data-testid="kpi-savings"]'), money(rec.total_monthly_savings) + ' / mo', 'overview: savings found = recommend total');
    } else {
      eq(await text(page, '[data-testid="kpi-savings"]'), '–', 'overview: savings not in this build');
    }
    const got = await rows(page, 'by-team');
    eq(got.map((r) => [r.v, r.cost, r.share]), team.rows.map((r) => [show(r.team), money(r.cost), pct(r.cost, team.total)]), 'overview: spend by team = report by team');
    eq(await page.locator('[data-testid="trend"] canvas').count(), 1, 'overview: the trend chart is drawn');
    eq((await rows(page, 'movers')).length > 0, true, 'overview: top movers listed');
    await shot(page, '01-overview');
  }

  // ---- allocation explorer: keyboard navigation, drill down, CSV export -----------------------------
  {
    await page.locator('main').focus();
    await page.keyboard.press('2');
    await ready(page, 'allocation');
    eq(await page.locator('#nav a[aria-current="page"]').innerText(), '2\nAllocation explorer', 'key 2 opens the allocation explorer');
    let rep = await api('/api/report', { ...R, by: 'team' });
    eq((await rows(page, 'alloc-table')).map((r) => [r.v, r.cost]), rep.rows.map((r) => [show(r.team), money(r.cost)]), 'allocation: rows = report by team');
    eq(await text(page, '[data-testid="alloc-total"]'), money(rep.total), 'allocation: total');
    eq(await text(page, '[data-testid="alloc-untagged"]'), money(rep.untagged), 'allocation: untagged');
    await shot(page, '02-allocation');
    // drill into the first team with the keyboard: focus its button, Enter
    const first = rep.rows[0].team;
    await page.locator('[data-testid="alloc-table"] td.drill button').first().focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('.chip');
    await page.waitForFunction(() => document.querySelector('#alloc-by') && !document.querySelector('main .loading'));
    const by2 = await page.inputValue('#alloc-by');
    rep = await api('/api/report', { ...R, by: by2, where: 'team=' + first });
    eq((await text(page, '.chip')).split('\n')[0], `team=${first}`, 'allocation: the drill-down adds a filter chip');
    eq((await rows(page, 'alloc-table')).map((r) => [r.v, r.cost]), rep.rows.map((r) => [show(r[by2]), money(r.cost)]), `allocation: drill-down = report by ${by2} where team=${first}`);
    eq((await text(page, '[data-testid="alloc-shared-note"]')).startsWith('A filter selects lines'), true, 'allocation: a filtered view says shared cost is not in it');
    await shot(page, '02b-allocation-drilldown');
    // group by a FOCUS column via the select, then export
    await page.selectOption('#alloc-by', 'ServiceName');
    await page.waitForFunction(() => document.querySelector('[data-testid="alloc-table"] th')?.innerText.startsWith('ServiceName'));
    rep = await api('/api/report', { ...R, by: 'ServiceName', where: 'team=' + first });
    eq((await rows(page, 'alloc-table')).map((r) => [r.v, r.cost]), rep.rows.map((r) => [show(r.ServiceName), money(r.cost)]), 'allocation: group by ServiceName with the filter');
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
    const csv = readFileSync(await dl.path(), 'utf8');
    eq(csv, await api('/api/report.csv', { ...R, by: 'ServiceName', where: 'team=' + first }), 'allocation: the CSV export is the exact report');
    await page.click('.chip button');
    await page.waitForFunction(() => !document.querySelector('.chip'));
  }

  // ---- anomalies ------------------------------------------------------------------------------
  {
    await page.click('#nav a[data-page="anomalies"]');
    await ready(page, 'anomalies');
    await page.waitForSelector('[data-testid="anom-count"]');
    const an = await api('/api/anomalies', { to, cost: 'effective', by: 'team', sensitivity: 'medium' });
    const list = an.anomalies.filter((a) => a.end >= from);
    eq(await text(page, '[data-testid="anom-count"]'), String(list.length), 'anomalies: count');
    eq(await text(page, '[data-testid="anom-impact"]'), money(list.reduce((s, a) => s + a.impact, 0)), 'anomalies: total impact');
    if (list.length) {
      const got = await rows(page, 'anom-table');
      const want = list.slice().sort((a, b) => (a.start < b.start ? 1 : a.start > b.start ? -1 : b.impact - a.impact));
      eq(got.map((r) => [r.start, r.actual, r.impact]), want.map((a) => [a.start, money(a.actual), money(a.impact)]), 'anomalies: rows');
      eq(got[0].drivers.includes(want[0].drivers.length ? show(want[0].drivers[0].value) : 'ChargeCategory'), true, 'anomalies: drivers shown');
    }
    await shot(page, '03-anomalies');
  }

  // ---- budgets: as of the 20th, so the forecast matters ---------------------------------------------
  {
    await page.click('#nav a[data-page="budgets"]');
    await ready(page, 'budgets');
    await page.fill('#budget-asof', '2026-10-20');
    await page.click('text=Show');
    await page.waitForFunction(() => document.querySelector('main[data-ready="budgets"]') && document.querySelector('.lede')?.innerText.includes('2026-10-20'));
    await page.waitForTimeout(200);
    const b = await api('/api/budgets', { 'as-of': '2026-10-20', cost: 'effective' });
    const got = await rows(page, 'budget-table');
    eq(got.map((r) => [r.name, r.limit, r.actual, r.forecast, r.used, r.status, r.breach]),
      b.budgets.map((x) => [x.name, money(x.limit), money(x.actual), money(x.forecast), pct(x.actual, x.limit), x.status.replace('_', ' '),
        x.breach_date ? x.breach_date + (x.breach_date_is_forecast ? ' (forecast)' : '') : '–']), 'budgets: table = API');
    eq(await page.locator('main section.panel canvas').count(), b.budgets.length, 'budgets: one burn-down per budget');
    await shot(page, '04-budgets');
  }

  // ---- recommendations: the engine's answer, or the not-available state --------------------------
  {
    await page.click('#nav a[data-page="recommendations"]');
    await ready(page, 'recommendations');
    if (meta.recommend) {
      const rec = await api('/api/recommend', R);
      eq(await text(page, '[data-testid="rec-total"]'), money(rec.total_monthly_savings) + ' / mo', 'recommendations: total');
      if (rec.recommendations.length) {
        const got = await rows(page, 'rec-table');
        const want = rec.recommendations.slice().sort((a, b) => b.monthly_savings - a.monthly_savings);
        eq(got.map((r) => [r.kind, r.monthly_savings]), want.map((x) => [x.kind, money(x.monthly_savings)]), 'recommendations: rows by savings');
      }
      await shot(page, '05-recommendations');
    } else {
      eq((await text(page, '[data-testid="rec-unavailable"]')).startsWith('Recommendations are not available in this build.'), true, 'recommendations: the not-available state');
      await shot(page, '05-recommendations-unavailable');
    }
  }

  // ---- GPU fleet ------------------------------------------------------------------------------
  {
    await page.click('#nav a[data-page="gpu"]');
    await ready(page, 'gpu');
    const g = await api('/api/gpu', { ...R, by: 'team' });
    const hd = await api('/api/gpu', { ...R, by: 'host,day' });
    eq(await text(page, '[data-testid="gpu-idle-cost"]'), money(g.total.idle_cost), 'gpu: idle cost');
    eq(await text(page, '[data-testid="gpu-hours"]'), num(g.total.gpu_hours, 0), 'gpu: GPU hours');
    eq(await text(page, '[data-testid="gpu-util"]'), num(g.total.avg_util, 1) + '%', 'gpu: average utilization');
    eq(await page.locator('[data-testid="heatmap"] td.cell[aria-label]').count(), hd.rows.length, 'gpu: one heatmap cell per host-day');
    const got = await rows(page, 'gpu-team-table');
    const want = g.rows.slice().sort((a, b) => b.idle_cost - a.idle_cost);
    eq(got.map((r) => [r.v, r.idle_cost, r.cost]), want.map((r) => [show(r.team), money(r.idle_cost), money(r.cost)]), 'gpu: idle cost by team');
    await shot(page, '06-gpu');
  }

  // ---- LLM usage ------------------------------------------------------------------------------
  {
    await page.click('#nav a[data-page="llm"]');
    await ready(page, 'llm');
    await page.waitForSelector('[data-testid="llm-cost"]');
    const u = await api('/api/unit-cost', { ...R, metric: 'tokens', by: 'ResourceName' });
    const s = await api('/api/unit-cost', { ...R, metric: 'tokens', by: 'SkuMeter' });
    const sku = (m) => s.rows.filter((r) => r.SkuMeter === m).reduce((a, r) => a + r.units, 0);
    const cached = sku('Cache Read Input Tokens'), input = sku('Input Tokens') + cached + sku('Cache Write Input Tokens');
    eq(await text(page, '[data-testid="llm-cost"]'), money(u.total.cost), 'llm: token cost');
    eq(await text(page, '[data-testid="llm-cache"]'), pct(cached, input), 'llm: prompt cache hit rate');
    const got = await rows(page, 'llm-table');
    const want = u.rows.slice().sort((a, b) => b.cost - a.cost);
    eq(got.map((r) => [r.v, r.units, r.cost]), want.map((r) => [show(r.ResourceName), num(r.units, 0), money(r.cost)]), 'llm: tokens and cost by model');
    await shot(page, '07-llm');
  }

  // ---- unit economics and carbon ----------------------------------------------------------------
  {
    await page.click('#nav a[data-page="unit"]');
    await ready(page, 'unit');
    await page.waitForSelector('[data-testid="carbon-kwh"]');
    const metric = await page.inputValue('#unit-metric');
    const u = await api('/api/unit-cost', { ...R, metric, by: 'team' });
    eq(await text(page, '[data-testid="unit-total-cost"]'), money(u.total.cost - u.cost_without_units), 'unit: cost with units');
    const got = await rows(page, 'unit-table');
    const want = u.rows.slice().sort((a, b) => b.cost - a.cost);
    eq(got.map((r) => [r.v, r.cost, r.units]), want.map((r) => [show(r.team), money(r.cost), num(r.units, 0)]), 'unit: rows by team');
    const c = await api('/api/carbon', { ...R, by: 'team' });
    eq(await text(page, '[data-testid="carbon-kwh"]'), num(c.total_kwh, 0) + ' kWh', 'carbon: energy');
    const cg = await rows(page, 'carbon-table');
    const cw = c.rows.slice().sort((a, b) => b.kg_co2e - a.kg_co2e);
    eq(cg.map((r) => [r.v, r.kwh, r.kg]), cw.map((r) => [show(r.team), num(r.kwh, 1), num(r.kg_co2e, 1)]), 'carbon: by team');
    await shot(page, '08-unit-carbon');
  }

  // ---- the period control applies everywhere ---------------------------------------------------------
  {
    await page.click('#nav a[data-page="overview"]');
    await ready(page, 'overview');
    await page.fill('#from', '2026-10-05');
    await page.fill('#to', '2026-10-18');
    await page.selectOption('#cost', 'billed');
    await page.click('#range button[type="submit"]');
    await page.waitForFunction(() => document.querySelector('.lede')?.innerText.includes('2026-10-05') && document.querySelector('main[data-ready]'));
    await page.waitForSelector('[data-testid="kpi-spend"]');
    const rep = await api('/api/report', { from: '2026-10-05', to: '2026-10-18', cost: 'billed', by: 'day' });
    eq(await text(page, '[data-testid="kpi-spend"]'), money(rep.total), 'overview: spend follows the period and cost column');
    // focus is visible on keyboard navigation
    await page.click('.brand');   // start the Tab order at the top of the page
    for (let i = 0; i < 4 && !(await page.evaluate(() => !!document.activeElement.closest('#nav'))); i++)
      await page.keyboard.press('Tab');   // the skip link, then the first page link
    const f = await page.evaluate(() => ({ text: document.activeElement.innerText, outline: getComputedStyle(document.activeElement).outlineStyle }));
    eq(f, { text: '1\nOverview', outline: 'solid' }, 'Tab reaches the page links, with a visible focus outline');
    await shot(page, '01b-overview-period-keyboard-focus');
  }

  // ---- a team token sees its own team ---------------------------------------------------------------
  {
    const tp = await newPage();
    await tp.goto(url + '/#/allocation');
    await tp.waitForSelector('#token');
    await tp.fill('#token', CHATBOT);
    await tp.press('#token', 'Enter');
    await ready(tp, 'allocation');
    eq(await text(tp, '#who'), 'team chatbot chatbot-ro', 'team token: the badge names the team');
    const rep = await api('/api/report', { ...R, by: 'team' }, CHATBOT);
    const got = await rows(tp, 'alloc-table');
    eq(got.map((r) => [r.v, r.cost]), [['chatbot', money(rep.total)]], 'team token: one team, its own total');
    eq(await text(tp, '[data-testid="alloc-total"]'), money(rep.total), 'team token: total = the team\'s report');
    await shot(tp, '09-team-token-allocation');
    await tp.click('#nav a[data-page="budgets"]');
    await ready(tp, 'budgets');
    eq((await rows(tp, 'budget-table')).map((r) => r.name), ['chatbot-monthly'], 'team token: only its budget');
  }

  // ---- recommendations page against the SPEC shape (the API mocked in the browser) ---------------------
  {
    const mp = await newPage();
    const fixture = { recommendations: [
      { id: 'idle-gpu:1', kind: 'idle-gpu', resource_id: 'i-0abc', scope: { team: 'platform' }, monthly_savings: 1200.5, confidence: 0.9,
        evidence: { idle_hours: 310, avg_util: 2.1 }, action: 'Stop or downsize i-0abc', title: 'Idle p5 host' },
      { id: 'llm-cache:2', kind: 'llm-cache', resource_id: 'gpt-4o', scope: { team: 'chatbot' }, monthly_savings: 8400.25, confidence: 0.7,
        evidence: { duplicate_share: 0.31 }, action: 'Cache repeated prompts at the gateway', title: 'Repeated prompts' },
      { id: 'commitment:3', kind: 'commitment', resource_id: '', scope: { region: 'us-east-1' }, monthly_savings: 310, confidence: 0.8,
        evidence: { baseline: 5000 }, action: 'Buy a 1-year savings plan', title: 'Steady on-demand baseline' }],
    total_monthly_savings: 9910.75, currency: 'USD' };
    await mp.route('**/api/meta', async (r) => { const m = await (await r.fetch()).json(); r.fulfill({ json: { ...m, recommend: true } }); });
    await mp.route('**/api/recommend**', (r) => r.fulfill({ json: fixture }));
    await mp.goto(url + '/#/recommendations');
    await mp.fill('#token', ADMIN);
    await mp.press('#token', 'Enter');
    await ready(mp, 'recommendations');
    eq(await text(mp, '[data-testid="rec-total"]'), money(9910.75) + ' / mo', 'recommendations (mocked API): total');
    let got = await rows(mp, 'rec-table');
    eq(got.map((r) => r.monthly_savings), [money(8400.25), money(1200.5), money(310)], 'recommendations: sorted by savings, largest first');
    await mp.click('th >> text=monthly savings');
    got = await rows(mp, 'rec-table');
    eq(got.map((r) => r.monthly_savings), [money(310), money(1200.5), money(8400.25)], 'recommendations: a click sorts ascending');
    await mp.locator('[data-testid="rec-table"] details summary').first().click();
    eq(await mp.locator('[data-testid="rec-table"] details[open] dt').first().innerText(), 'baseline', 'recommendations: evidence opens');
    await mp.click('th >> text=monthly savings');
    await shot(mp, '10-recommendations-mocked-api');
  }

  eq(errors, [], 'no page errors or console errors');
  console.log(`e2e: ${checks.length} checks passed, screenshots in ${SHOTS}`);
  await browser.close();
} catch (e) {
  console.error('e2e: FAIL: ' + (e.message || e));
  if (errors.length) console.error('page errors: ' + errors.join(' | '));
  await browser.close();
  process.exit(1);
}
