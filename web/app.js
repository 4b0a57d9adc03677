/*
 * app.js - the aicost dashboard: vanilla JS over the JSON API of `aicost serve`
 * (/api/*, the same JSON as the CLI's --format json) and uPlot for charts.
 * All aggregation happens on the server; this file only asks for grouped
 * results and draws them. Data is inserted with textContent only.
 *
 * Pages are hash routes (#/overview, ...); the period (from/to) and the cost
 * column apply to every page. The API token, when the server needs one, is
 * kept in sessionStorage for this tab only.
 */
'use strict';
(function () {
  // ---- helpers ------------------------------------------------------------------------
  function el(tag, props, children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const c of [].concat(children || [])) {
      if (c === null || c === undefined || c === false) continue;
      e.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    }
    return e;
  }
  const SYM = { USD: '$', EUR: '€', GBP: '£', JPY: '¥', INR: '₹' };
  // Thousands separators on the integer part of a fixed-point string.
  function group(s) {
    const [i, f] = s.split('.');
    return i.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (f !== undefined ? '.' + f : '');
  }
  // Money to cents: "$1,234.56", "-$12.00", "1,234.56 CHF".
  function money(v, cur) {
    if (v === null || v === undefined || Number.isNaN(v)) return '–';
    const neg = v < 0 && Math.round(-v * 100) !== 0;
    const body = group((Math.round(Math.abs(v) * 100) / 100).toFixed(2));
    const c = cur && cur !== 'mixed' ? cur : 'USD';
    const s = SYM[c] ? SYM[c] + body : body + ' ' + c;
    return (neg ? '-' : '') + s;
  }
  function num(v, dec) {
    if (v === null || v === undefined) return '–';
    const neg = v < 0 && Math.round(-v * 10 ** (dec || 0)) !== 0;
    return (neg ? '-' : '') + group((Math.round(Math.abs(v) * 10 ** (dec || 0)) / 10 ** (dec || 0)).toFixed(dec || 0));
  }
  function pct(part, total, dec) {
    if (!total) return '–';
    return num((100 * part) / total, dec === undefined ? 1 : dec) + '%';
  }
  function compact(v) {
    const a = Math.abs(v);
    if (a >= 1e12) return num(v / 1e12, 2) + 'T';
    if (a >= 1e9) return num(v / 1e9, 2) + 'B';
    if (a >= 1e6) return num(v / 1e6, 2) + 'M';
    if (a >= 1e3) return num(v / 1e3, 1) + 'K';
    return num(v, 0);
  }
  // A unit cost: enough decimals for 4 significant digits.
  function unitMoney(v, cur) {
    if (v === null || v === undefined) return '–';
    const a = Math.abs(v);
    let d = 2;
    while (d < 12 && a > 0 && a < 10 ** (2 - d)) d++;
    const s = group(a.toFixed(Math.min(d + 1, 12)));
    const c = cur && cur !== 'mixed' ? cur : 'USD';
    return (v < 0 ? '-' : '') + (SYM[c] ? SYM[c] + s : s + ' ' + c);
  }
  function dayTs(d) {
    const [y, m, dd] = d.split('-').map(Number);
    return Date.UTC(y, m - 1, dd) / 1000;
  }
  function isoDay(ts) { return new Date(ts * 1000).toISOString().slice(0, 10); }
  function addDays(d, n) { return isoDay(dayTs(d) + n * 86400); }
  function scopeText(scope) {
    const ks = Object.keys(scope || {});
    return ks.length ? ks.map((k) => k + '=' + (scope[k] === '' ? '(none)' : scope[k])).join(', ') : 'all';
  }
  const show = (v) => (v === '' ? '(none)' : v);

  // ---- state and the API -------------------------------------------------------------------
  const state = { token: sessionStorage.getItem('aicost.token') || '', session: null, meta: null,
                  from: '', to: '', cost: 'effective', charts: [] };
  class AuthError extends Error {}

  async function api(path, params) {
    const u = new URL(path, location.origin);
    for (const [k, v] of Object.entries(params || {})) {
      if (v === undefined || v === null || v === '' || v === false) continue;
      if (Array.isArray(v)) v.forEach((x) => u.searchParams.append(k, x));
      else u.searchParams.set(k, v === true ? '1' : v);
    }
    const headers = state.token ? { Authorization: 'Bearer ' + state.token } : {};
    const r = await fetch(u, { headers });
    if (r.status === 401) throw new AuthError('unauthorized');
    const ct = r.headers.get('content-type') || '';
    const body = ct.includes('json') ? await r.json() : await r.text();
    if (!r.ok) throw new Error(body && body.error ? body.error.message : r.status + ' ' + r.statusText);
    return body;
  }
  const range = (extra) => Object.assign({ from: state.from, to: state.to, cost: state.cost }, extra || {});

  // ---- charts (uPlot) ----------------------------------------------------------------------
  function chart(container, opts, data) {
    const width = Math.max(320, container.clientWidth - 4);
    const u = new uPlot(Object.assign({
      width, height: opts.height || 260,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
      cursor: { drag: { x: false, y: false } },
      legend: { show: false },
    }, opts, { series: opts.series.map((x, i) => (i ? Object.assign({ points: { show: false } }, x) : x)) }), data, container);
    state.charts.push({ u, container });
    return u;
  }
  window.addEventListener('resize', () => {
    for (const c of state.charts) c.u.setSize({ width: Math.max(320, c.container.clientWidth - 4), height: c.u.height });
  });
  const moneyAxis = (cur) => ({ values: (u, vals) => vals.map((v) => money(v, cur).replace(/\.00$/, '')), size: 80 });

  // ---- tables -------------------------------------------------------------------------------
  // cols: [{key, label, num, fmt(row) -> text|node, sort(row) -> value}]
  function table(cols, rows, opts) {
    opts = opts || {};
    let sortKey = opts.sortKey, desc = opts.desc !== false;
    const tbody = el('tbody');
    const head = el('tr');
    const ths = cols.map((c) => {
      const th = el('th', { class: c.num ? 'num' : null, scope: 'col' });
      if (c.sort) {
        th.appendChild(el('button', { class: 'sort', type: 'button', text: c.label,
          onclick: () => { desc = sortKey === c.key ? !desc : true; sortKey = c.key; draw(); } }));
      } else th.textContent = c.label;
      head.appendChild(th);
      return th;
    });
    function draw() {
      const c = cols.find((x) => x.key === sortKey);
      const rs = c && c.sort ? rows.slice().sort((a, b) => (c.sort(a) < c.sort(b) ? 1 : c.sort(a) > c.sort(b) ? -1 : 0) * (desc ? 1 : -1)) : rows;
      ths.forEach((th, i) => th.setAttribute('aria-sort', cols[i].key === sortKey && c && c.sort ? (desc ? 'descending' : 'ascending') : 'none'));
      tbody.replaceChildren(...rs.map((r, i) => {
        const tr = el('tr', { 'data-row': i });
        for (const col of cols) {
          const v = col.fmt ? col.fmt(r) : r[col.key];
          const td = el('td', { class: (col.num ? 'num ' : '') + (col.cls || ''), 'data-col': col.key });
          if (v instanceof Node) td.appendChild(v); else td.textContent = v === undefined ? '' : String(v);
          tr.appendChild(td);
        }
        return tr;
      }));
    }
    draw();
    const t = el('table', { 'data-testid': opts.testid }, [el('thead', {}, head), tbody]);
    // long tables scroll inside a box; short ones take their height
    return opts.scroll === false ? t : el('div', { class: rows.length > 15 ? 'scroll' : 'tablebox' }, t);
  }
  function bar(part, max) {
    const w = max > 0 ? Math.max(0, Math.min(100, (100 * part) / max)) : 0;
    return el('div', { class: 'bar', role: 'img', 'aria-label': num(w, 0) + '% of the largest' }, el('span', { style: 'width:' + w.toFixed(1) + '%' }));
  }
  function card(label, value, sub, testid) {
    return el('div', { class: 'card' }, [el('div', { class: 'label', text: label }),
      el('div', { class: 'value', 'data-testid': testid, text: value }), sub ? el('div', { class: 'sub', text: sub }) : null]);
  }
  const panel = (title, hint, children) => el('section', { class: 'panel' },
    [el('h2', {}, [title, hint ? el('span', { class: 'hint', text: hint }) : null])].concat(children || []));
  const errorBox = (e) => el('div', { class: 'error', role: 'alert', text: 'Could not load: ' + e.message });

  // ---- pages --------------------------------------------------------------------------------
  const pages = [
    { id: 'overview', title: 'Overview', render: overview },
    { id: 'allocation', title: 'Allocation explorer', render: allocation },
    { id: 'anomalies', title: 'Anomalies', render: anomalies },
    { id: 'budgets', title: 'Budgets', render: budgets },
    { id: 'recommendations', title: 'Recommendations', render: recommendations },
    { id: 'gpu', title: 'GPU fleet', render: gpu },
    { id: 'llm', title: 'LLM usage', render: llm },
    { id: 'unit', title: 'Unit economics & carbon', render: unit },
  ];

  const hasDim = (d) => state.meta && state.meta.dimensions.includes(d);
  const teamDim = () => (hasDim('team') ? 'team' : 'ServiceName');

  async function overview(main) {
    const cur = () => rep.currency;
    const [rep, byTeam, fc, anom] = await Promise.all([
      api('/api/report', range({ by: 'day' })),
      api('/api/report', range({ by: teamDim() })),
      api('/api/forecast', { from: addDays(state.to, -89), to: state.to, cost: state.cost, horizon: 30 }),
      api('/api/anomalies', { to: state.to, cost: state.cost }),
    ]);
    let rec = null;
    if (state.meta.recommend) { try { rec = await api('/api/recommend', range()); } catch (e) { rec = { error: e }; } }
    const fcTotal = fc.series.length ? fc.series[0].total : null;
    const inRange = anom.anomalies.filter((a) => a.end >= state.from);
    main.append(el('p', { class: 'lede', text: `Spend from ${state.from} to ${state.to}, ${state.cost} cost, with the forecast for the next 30 days.` }));
    main.append(el('div', { class: 'cards' }, [
      card('Spend', money(rep.total, cur()), `${rep.from} to ${rep.to}`, 'kpi-spend'),
      card('Forecast, next 30 days', fcTotal === null ? '–' : money(fcTotal, cur()), fc.series.length ? 'from the 90 days to ' + state.to + ' (' + fc.series[0].model + ')' : 'no history', 'kpi-forecast'),
      card('Untagged', pct(rep.untagged, rep.total), money(rep.untagged, cur()) + ' carries no tags (target < 5%)', 'kpi-untagged'),
      card('Unallocated', pct(rep.unallocated, rep.total), money(rep.unallocated, cur()) + (rep.unallocated_dimension ? ' has no ' + rep.unallocated_dimension : ''), 'kpi-unallocated'),
      card('Savings found', rec && !rec.error ? money(rec.total_monthly_savings, cur()) + ' / mo' : '–',
        rec && !rec.error ? rec.recommendations.length + ' recommendations' : rec ? 'could not load' : 'not available in this build', 'kpi-savings'),
      card('Anomalies', String(inRange.length), 'in the period (default sensitivity)', 'kpi-anomalies'),
    ]));
    // trend with the forecast band
    const trend = el('div', { 'data-testid': 'trend' });
    const g = el('div', { class: 'grid2' }, [panel('Daily spend and forecast', '80% interval', [trend,
      el('div', { class: 'legend' }, [el('span', {}, [el('i', { style: 'background:#1f4e79' }), 'actual']),
        el('span', {}, [el('i', { style: 'background:#e07b00' }), 'forecast']), el('span', {}, [el('i', { style: 'background:#f6d7b0;height:8px' }), 'forecast interval'])])])]);
    const movers = el('div');
    g.append(panel('Top movers', 'last 7 days vs the 7 before, by ' + teamDim(), [movers]));
    main.append(g);
    const xs = [], act = [], yh = [], lo = [], hi = [];
    for (const r of rep.rows) { xs.push(dayTs(r.day)); act.push(r.cost); yh.push(null); lo.push(null); hi.push(null); }
    if (fc.series.length) {
      for (const p of fc.series[0].points) { xs.push(dayTs(p.date)); act.push(null); yh.push(p.yhat); lo.push(p.lo); hi.push(p.hi); }
    }
    chart(trend, {
      series: [{}, { label: 'actual', stroke: '#1f4e79', width: 2, value: (u, v) => money(v, cur()) },
        { label: 'forecast', stroke: '#e07b00', width: 2, dash: [6, 4], value: (u, v) => money(v, cur()) },
        { label: 'low', stroke: 'rgba(224,123,0,0.25)', value: (u, v) => money(v, cur()) },
        { label: 'high', stroke: 'rgba(224,123,0,0.25)', value: (u, v) => money(v, cur()) }],
      bands: [{ series: [4, 3], fill: 'rgba(246,215,176,0.55)' }],
      axes: [{}, moneyAxis(cur())],
    }, [xs, act, yh, lo, hi]);
    // movers: two weekly windows at the end of the period
    const end = state.to, mid = addDays(end, -7), start = addDays(end, -13);
    const [a, b] = await Promise.all([
      api('/api/report', { by: teamDim(), from: start, to: mid, cost: state.cost }),
      api('/api/report', { by: teamDim(), from: addDays(mid, 1), to: end, cost: state.cost }),
    ]);
    const prev = new Map(a.rows.map((r) => [r[teamDim()], r.cost]));
    const names = new Set([...a.rows.map((r) => r[teamDim()]), ...b.rows.map((r) => r[teamDim()])]);
    const now = new Map(b.rows.map((r) => [r[teamDim()], r.cost]));
    const rows = [...names].map((n) => ({ name: n, before: prev.get(n) || 0, after: now.get(n) || 0 }))
      .map((r) => Object.assign(r, { delta: r.after - r.before })).sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta)).slice(0, 8);
    movers.append(table([
      { key: 'name', label: teamDim(), fmt: (r) => show(r.name) },
      { key: 'before', label: 'prior 7 days', num: true, fmt: (r) => money(r.before, cur()) },
      { key: 'after', label: 'last 7 days', num: true, fmt: (r) => money(r.after, cur()) },
      { key: 'delta', label: 'change', num: true, fmt: (r) => el('span', { class: r.delta > 0 ? 'up' : 'down', text: (r.delta > 0 ? '+' : '') + money(r.delta, cur()) }) },
    ], rows, { testid: 'movers', scroll: false }));
    // who spends
    const max = Math.max(0, ...byTeam.rows.map((r) => r.cost));
    main.append(panel('Spend by ' + teamDim(), `${rep.from} to ${rep.to}`, [table([
      { key: 'v', label: teamDim(), fmt: (r) => show(r[teamDim()]) },
      { key: 'cost', label: 'cost', num: true, fmt: (r) => money(r.cost, cur()) },
      { key: 'share', label: 'share', num: true, fmt: (r) => pct(r.cost, byTeam.total) },
      { key: 'bar', label: '', fmt: (r) => bar(r.cost, max) },
    ], byTeam.rows, { testid: 'by-team', scroll: false })]));
  }

  // Allocation explorer: group by any dimension, drill down (adds a filter), CSV export.
  const alloc = { by: '', where: [] };
  async function allocation(main) {
    const dims = state.meta.dimensions.concat(state.meta.columns, ['month', 'week', 'day']);
    if (!alloc.by) alloc.by = teamDim();
    const sel = el('select', { id: 'alloc-by', 'aria-label': 'Group by' }, dims.map((d) => el('option', { value: d, text: d, selected: d === alloc.by })));
    const tagIn = el('input', { id: 'alloc-tag', placeholder: 'tag key', size: 10, 'aria-label': 'Group by a tag key' });
    const body = el('div');
    const load = async () => {
      // the select shows what the table is grouped by (a drill-down or a tag changes it)
      if (dims.includes(alloc.by)) sel.value = alloc.by;
      else if (!sel.querySelector('option[value="' + CSS.escape(alloc.by) + '"]')) sel.append(el('option', { value: alloc.by, text: alloc.by }));
      sel.value = alloc.by;
      body.replaceChildren(el('div', { class: 'loading', text: 'Loading…' }));
      try {
        const r = await api('/api/report', range({ by: alloc.by, where: alloc.where }));
        drawAlloc(body, r);
      } catch (e) { body.replaceChildren(errorBox(e)); }
    };
    sel.addEventListener('change', () => { alloc.by = sel.value; load(); });
    const tagBtn = el('button', { type: 'button', class: 'secondary', text: 'Group by tag',
      onclick: () => { if (tagIn.value.trim()) { alloc.by = 'tag:' + tagIn.value.trim(); load(); } } });
    const csv = el('button', { type: 'button', id: 'export-csv', text: 'Export CSV', onclick: async () => {
      try {
        const text = await api('/api/report.csv', range({ by: alloc.by, where: alloc.where }));
        const a = el('a', { href: URL.createObjectURL(new Blob([text], { type: 'text/csv' })),
          download: `aicost-${alloc.by.replace(/[^a-zA-Z0-9_-]/g, '_')}-${state.from}-${state.to}.csv` });
        document.body.append(a); a.click(); a.remove();
      } catch (e) { body.prepend(errorBox(e)); }
    } });
    main.append(el('p', { class: 'lede', text: 'Cost by any dimension: allocation dimensions from the config, FOCUS columns, tags or time. Select a value to drill into it; filters stack.' }));
    main.append(el('div', { class: 'controls' }, [el('label', {}, ['Group by', sel]), el('label', {}, ['Tag', tagIn]), tagBtn, csv]));
    main.append(body);
    await load();
    function drawAlloc(box, r) {
      const by = alloc.by, max = Math.max(0, ...r.rows.map((x) => x.cost));
      const crumbs = el('div', { class: 'crumbs', 'aria-label': 'Filters' }, alloc.where.length ? alloc.where.map((w, i) =>
        el('span', { class: 'chip' }, [w, el('button', { type: 'button', 'aria-label': 'Remove filter ' + w, text: '×',
          onclick: () => { alloc.where.splice(i, 1); load(); } })])) : [el('span', { class: 'hint', text: 'No filters: everything in the period.' })]);
      const next = ['team', 'project', 'ServiceName', 'ResourceId'].filter((d) => dims.includes(d) && d !== by &&
        !alloc.where.some((w) => w.startsWith(d + '=')))[0];
      const time = ['day', 'week', 'month'].includes(by);
      const t = table([
        { key: 'v', label: by, cls: 'drill', fmt: (x) => time || !next ? show(x[by]) : el('button', { type: 'button',
          text: show(x[by]), title: `Filter ${by}=${show(x[by])} and group by ${next}`,
          onclick: () => { alloc.where.push(by + '=' + x[by]); alloc.by = next; load(); } }), sort: (x) => x[by] },
        { key: 'cost', label: 'cost', num: true, fmt: (x) => money(x.cost, r.currency), sort: (x) => x.cost },
        { key: 'share', label: 'share', num: true, fmt: (x) => pct(x.cost, r.total) },
        { key: 'bar', label: '', fmt: (x) => bar(x.cost, max) },
      ], r.rows, { testid: 'alloc-table', sortKey: time ? null : 'cost' });
      const note = alloc.where.length && state.meta.shared_rules ? el('p', { class: 'hint', 'data-testid': 'alloc-shared-note',
        text: 'A filter selects lines: the shared cost the config spreads over teams (allocation.shared) is in the unfiltered view, not in a filtered total.' }) : null;
      box.replaceChildren(crumbs, note || '', el('div', { class: 'cards' }, [
        card('Total', money(r.total, r.currency), `${r.from} to ${r.to}`, 'alloc-total'),
        card('Unallocated', money(r.unallocated, r.currency), r.unallocated_dimension ? 'no ' + r.unallocated_dimension : '', 'alloc-unallocated'),
        card('Untagged', money(r.untagged, r.currency), pct(r.untagged, r.total) + ' of cost', 'alloc-untagged'),
        card('Groups', num(r.rows.length), 'by ' + by, 'alloc-groups')]), t);
    }
  }

  async function anomalies(main) {
    const by = el('select', { id: 'anom-by', 'aria-label': 'Scope' }, ['', teamDim(), 'ServiceName', 'SubAccountName']
      .filter((v, i, a) => a.indexOf(v) === i).map((d) => el('option', { value: d, text: d || 'total cost', selected: d === teamDim() })));
    const sens = el('select', { id: 'anom-sens', 'aria-label': 'Sensitivity' }, ['medium', 'low', 'high'].map((s) => el('option', { value: s, text: s })));
    const box = el('div');
    main.append(el('p', { class: 'lede', text: 'Days where spend left its expected range (weekly seasonality, trend and level shifts learned from the history up to the end of the period), with the sub-dimensions that explain the change.' }));
    main.append(el('div', { class: 'controls' }, [el('label', {}, ['Scope', by]), el('label', {}, ['Sensitivity', sens])]));
    main.append(box);
    const load = async () => {
      box.replaceChildren(el('div', { class: 'loading', text: 'Loading…' }));
      try {
        const r = await api('/api/anomalies', { to: state.to, cost: state.cost, by: by.value, sensitivity: sens.value });
        const rows = r.anomalies.filter((a) => a.end >= state.from).sort((a, b) => (a.start < b.start ? 1 : a.start > b.start ? -1 : b.impact - a.impact));
        const impact = rows.reduce((s, a) => s + a.impact, 0);
        const drivers = (a) => a.drivers.length ? el('ul', { style: 'margin:0;padding-left:16px' }, a.drivers.slice(0, 4).map((d) =>
          el('li', {}, [el('span', { text: d.dimension + ' = ' }), el('strong', { text: show(d.value) }), ' ' + (d.impact > 0 ? '+' : '') + money(d.impact, r.currency)]))) :
          (a.charge_category ? 'ChargeCategory = ' + a.charge_category : '–');
        box.replaceChildren(el('div', { class: 'cards' }, [card('Anomalies', String(rows.length), `ending ${state.from} or later`, 'anom-count'),
          card('Impact', money(impact, r.currency), 'actual minus expected', 'anom-impact')]),
        rows.length ? table([
          { key: 'start', label: 'start', sort: (a) => a.start }, { key: 'end', label: 'end' },
          { key: 'kind', label: 'kind' }, { key: 'scope', label: 'scope', fmt: (a) => scopeText(a.scope) },
          { key: 'expected', label: 'expected', num: true, fmt: (a) => money(a.expected, r.currency) },
          { key: 'actual', label: 'actual', num: true, fmt: (a) => money(a.actual, r.currency) },
          { key: 'impact', label: 'impact', num: true, fmt: (a) => money(a.impact, r.currency), sort: (a) => a.impact },
          { key: 'drivers', label: 'drivers', fmt: drivers },
        ], rows, { testid: 'anom-table' }) : el('div', { class: 'empty', text: 'No anomalies in the period.' }));
      } catch (e) { box.replaceChildren(errorBox(e)); }
    };
    by.addEventListener('change', load);
    sens.addEventListener('change', load);
    await load();
  }

  async function budgets(main) {
    const asOf = el('input', { type: 'date', id: 'budget-asof', value: state.asOf || state.to, 'aria-label': 'As of' });
    const go = el('button', { type: 'button', class: 'secondary', text: 'Show', onclick: () => { state.asOf = asOf.value; route(); } });
    const day = state.asOf || state.to;
    const r = await api('/api/budgets', { 'as-of': day, cost: state.cost });
    main.append(el('p', { class: 'lede', text: `Budgets from the config as of ${day}: actual spend in the current period, the forecast to its end, and the day the limit is (or will be) crossed.` }));
    main.append(el('div', { class: 'controls' }, [el('label', {}, ['As of', asOf]), go]));
    if (!r.budgets.length) {
      main.append(el('div', { class: 'empty', text: 'No budgets visible: add a budgets: list to the config (docs/budgets.md).' }));
      return;
    }
    main.append(panel('Status', r.budgets.length + ' budgets', [table([
      { key: 'name', label: 'budget' }, { key: 'scope', label: 'scope', fmt: (b) => scopeText(b.scope) },
      { key: 'period', label: 'period', cls: 'nowrap', fmt: (b) => `${b.period_start} – ${b.period_end}` },
      { key: 'limit', label: 'limit', num: true, fmt: (b) => money(b.limit, b.currency) },
      { key: 'actual', label: 'actual', num: true, fmt: (b) => money(b.actual, b.currency) },
      { key: 'forecast', label: 'forecast', num: true, fmt: (b) => money(b.forecast, b.currency) },
      { key: 'used', label: 'used', num: true, fmt: (b) => pct(b.actual, b.limit) },
      { key: 'status', label: 'status', fmt: (b) => el('span', { class: 'status ' + b.status, text: b.status.replace('_', ' ') }) },
      { key: 'breach', label: 'breach date', fmt: (b) => b.breach_date ? b.breach_date + (b.breach_date_is_forecast ? ' (forecast)' : '') : '–' },
    ], r.budgets, { testid: 'budget-table', scroll: false })]));
    for (const b of r.budgets) {
      const box = el('div');
      main.append(panel(b.name, `burn-down, ${b.period_start} to ${b.period_end}`, [box,
        el('div', { class: 'legend' }, [el('span', {}, [el('i', { style: 'background:#1f4e79' }), 'actual, cumulative']),
          el('span', {}, [el('i', { style: 'background:#e07b00' }), 'projection to the forecast']), el('span', {}, [el('i', { style: 'background:#b3261e' }), 'limit'])])]));
      const where = Object.entries(b.scope).map(([k, v]) => k + '=' + v);
      const through = b.data_through || b.period_start;
      const d = await api('/api/report', { by: 'day', where, from: b.period_start, to: through < b.period_end ? through : b.period_end, cost: state.cost });
      const byDay = new Map(d.rows.map((x) => [x.day, x.cost]));
      const xs = [], act = [], proj = [], lim = [];
      let cum = 0;
      for (let day = b.period_start; day <= b.period_end; day = addDays(day, 1)) {
        xs.push(dayTs(day));
        lim.push(b.limit);
        if (b.data_through && day <= b.data_through) { cum += byDay.get(day) || 0; act.push(cum); } else act.push(null);
        proj.push(null);
      }
      // the projection: a straight line from the last actual to the budget's forecast at period end
      const i0 = b.data_through ? xs.indexOf(dayTs(b.data_through)) : -1, i1 = xs.length - 1;
      const start = i0 >= 0 ? b.actual : 0;
      for (let i = Math.max(i0, 0); i <= i1; i++) proj[i] = start + ((b.forecast - start) * (i - Math.max(i0, 0))) / Math.max(1, i1 - Math.max(i0, 0));
      chart(box, { height: 220, series: [{}, { label: 'actual', stroke: '#1f4e79', width: 2, value: (u, v) => money(v, b.currency) },
        { label: 'projection', stroke: '#e07b00', dash: [6, 4], width: 2, value: (u, v) => money(v, b.currency) },
        { label: 'limit', stroke: '#b3261e', width: 1.5, value: (u, v) => money(v, b.currency) }], axes: [{}, moneyAxis(b.currency)] },
      [xs, act, proj, lim]);
    }
  }

  async function recommendations(main) {
    if (!state.meta.recommend) {
      main.append(el('div', { class: 'notice', 'data-testid': 'rec-unavailable', role: 'status' }, [
        el('strong', { text: 'Recommendations are not available in this build. ' }),
        'This aicost binary was built without the recommendation engine (aicost recommend), so there is nothing to show yet. The other pages are unaffected.']));
      return;
    }
    const r = await api('/api/recommend', range());
    const cur = r.currency || 'USD';
    main.append(el('p', { class: 'lede', text: 'Savings the ledger, GPU telemetry and LLM traffic support, as monthly amounts, each with the evidence behind it. Select a column to sort.' }));
    main.append(el('div', { class: 'cards' }, [card('Savings found', money(r.total_monthly_savings, cur) + ' / mo', r.recommendations.length + ' recommendations', 'rec-total')]));
    if (!r.recommendations.length) { main.append(el('div', { class: 'empty', text: 'No recommendations for the period.' })); return; }
    const ev = (x) => el('details', {}, [el('summary', { text: 'evidence' }), el('dl', { class: 'ev' },
      Object.entries(x.evidence || {}).flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: typeof v === 'object' ? JSON.stringify(v) : String(v) })]))]);
    main.append(table([
      { key: 'kind', label: 'kind', sort: (x) => x.kind },
      { key: 'title', label: 'recommendation', fmt: (x) => el('div', {}, [el('div', { text: x.title || x.action }), el('div', { class: 'hint', text: x.resource_id || scopeText(x.scope) })]) },
      { key: 'monthly_savings', label: 'monthly savings', num: true, fmt: (x) => money(x.monthly_savings, cur), sort: (x) => x.monthly_savings },
      { key: 'confidence', label: 'confidence', num: true, fmt: (x) => num(100 * x.confidence, 0) + '%', sort: (x) => x.confidence },
      { key: 'action', label: 'action', fmt: (x) => x.action },
      { key: 'evidence', label: 'evidence', fmt: ev },
    ], r.recommendations, { testid: 'rec-table', sortKey: 'monthly_savings' }));
  }

  function utilColor(u) {
    // 0 -> pale, 100 -> dark blue
    const stops = [[0, [243, 246, 250]], [25, [156, 195, 230]], [60, [47, 126, 193]], [100, [19, 38, 58]]];
    for (let i = 1; i < stops.length; i++) {
      if (u <= stops[i][0]) {
        const [a, ca] = stops[i - 1], [b, cb] = stops[i], t = (u - a) / (b - a);
        return 'rgb(' + ca.map((c, k) => Math.round(c + t * (cb[k] - c))).join(',') + ')';
      }
    }
    return 'rgb(19,38,58)';
  }

  async function gpu(main) {
    const [byDay, byTeam] = await Promise.all([api('/api/gpu', range({ by: 'host,day' })), api('/api/gpu', range({ by: teamDim() }))]);
    const t = byTeam.total, cur = byTeam.currency || 'USD';
    main.append(el('p', { class: 'lede', text: 'GPU telemetry joined to the bill: how busy each host was each day, and what the idle time cost.' }));
    if (!byDay.hosts) { main.append(el('div', { class: 'empty', text: 'No GPU telemetry in the ledger for the period (aicost ingest gpu, aicost collect gpu).' })); return; }
    main.append(el('div', { class: 'cards' }, [
      card('GPU hours', num(t.gpu_hours, 0), `${t.gpus} GPU${t.gpus === 1 ? '' : 's'} on ${byDay.hosts} host${byDay.hosts === 1 ? '' : 's'}`, 'gpu-hours'),
      card('Average utilization', num(t.avg_util, 1) + '%', 'time-weighted', 'gpu-util'),
      card('Idle hours', num(t.idle_hours, 0), pct(t.idle_hours, t.gpu_hours) + ' of GPU time below ' + num(byTeam.idle_threshold, 0) + '%', 'gpu-idle-hours'),
      card('Idle cost', money(t.idle_cost, cur), 'of ' + money(t.cost, cur) + ' GPU cost', 'gpu-idle-cost')]));
    // heatmap: host x day
    const days = [...new Set(byDay.rows.map((r) => r.day))].sort();
    const hosts = [...new Set(byDay.rows.map((r) => r.host))].sort().slice(0, 60);
    const cell = new Map(byDay.rows.map((r) => [r.host + '\u001f' + r.day, r]));
    const head = el('tr', {}, [el('th', { scope: 'col', text: 'host' })].concat(days.map((d, i) => el('th', { scope: 'col', text: i % 7 === 0 ? d.slice(5) : '' }))));
    const rows = hosts.map((h) => el('tr', {}, [el('td', { class: 'host', text: h })].concat(days.map((d) => {
      const r = cell.get(h + '\u001f' + d);
      return r ? el('td', { class: 'cell', style: 'background:' + utilColor(r.avg_util), title: `${h} ${d}: ${num(r.avg_util, 1)}% busy, idle cost ${money(r.idle_cost, cur)}`,
        'aria-label': `${d} ${num(r.avg_util, 0)}%` }) : el('td', { class: 'cell', style: 'background:#fff;border:1px dashed #dde3ea', title: `${h} ${d}: no telemetry` });
    }))));
    main.append(panel('Utilization heatmap', 'average GPU utilization per host and day', [
      el('div', { style: 'overflow:auto' }, el('table', { class: 'heat', 'data-testid': 'heatmap' }, [el('thead', {}, head), el('tbody', {}, rows)])),
      el('div', { class: 'scale' }, ['0%', el('span', { class: 'grad' }), '100%'])]));
    const max = Math.max(0, ...byTeam.rows.map((r) => r.idle_cost));
    main.append(panel('Idle cost by ' + teamDim(), 'GPU time below the idle threshold, priced from the bill', [table([
      { key: 'v', label: teamDim(), fmt: (r) => show(r[teamDim()]) },
      { key: 'gpu_hours', label: 'GPU hours', num: true, fmt: (r) => num(r.gpu_hours, 1), sort: (r) => r.gpu_hours },
      { key: 'avg_util', label: 'avg util', num: true, fmt: (r) => num(r.avg_util, 1) + '%', sort: (r) => r.avg_util },
      { key: 'idle_hours', label: 'idle hours', num: true, fmt: (r) => num(r.idle_hours, 1), sort: (r) => r.idle_hours },
      { key: 'cost', label: 'cost', num: true, fmt: (r) => money(r.cost, cur), sort: (r) => r.cost },
      { key: 'idle_cost', label: 'idle cost', num: true, fmt: (r) => money(r.idle_cost, cur), sort: (r) => r.idle_cost },
      { key: 'bar', label: '', fmt: (r) => bar(r.idle_cost, max) },
    ], byTeam.rows, { testid: 'gpu-team-table', sortKey: 'idle_cost' })]));
  }

  async function llm(main) {
    const dims = [hasDim('model') ? 'model' : null, 'ResourceName', teamDim(), 'ServiceName'].filter((v, i, a) => v && a.indexOf(v) === i);
    const sel = el('select', { id: 'llm-by', 'aria-label': 'Group tokens by' }, dims.map((d) => el('option', { value: d, text: d === 'ResourceName' ? 'ResourceName (model or endpoint)' : d, selected: d === 'ResourceName' })));
    const box = el('div');
    main.append(el('p', { class: 'lede', text: 'Token charges (FOCUS ConsumedUnit Tokens, from usage APIs, request logs and cloud bills): how many tokens, what they cost, and how much of the input was served from the prompt cache.' }));
    main.append(el('div', { class: 'controls' }, [el('label', {}, ['Group by', sel])]));
    main.append(box);
    const load = async () => {
      box.replaceChildren(el('div', { class: 'loading', text: 'Loading…' }));
      try {
        const [byDim, byTeam, bySku] = await Promise.all([
          api('/api/unit-cost', range({ metric: 'tokens', by: sel.value })),
          api('/api/unit-cost', range({ metric: 'tokens', by: teamDim() })),
          api('/api/unit-cost', range({ metric: 'tokens', by: 'SkuMeter' })),
        ]);
        const cur = byDim.currency || 'USD';
        const sku = (m) => bySku.rows.filter((r) => r.SkuMeter === m).reduce((s, r) => s + r.units, 0);
        const cached = sku('Cache Read Input Tokens'), input = sku('Input Tokens') + cached + sku('Cache Write Input Tokens');
        const per1m = (r) => (r.units ? money((r.cost / r.units) * 1e6, cur) : '–');
        const cols = (dim) => [
          { key: 'v', label: dim, fmt: (r) => show(r[dim]) },
          { key: 'units', label: 'tokens', num: true, fmt: (r) => num(r.units, 0), sort: (r) => r.units },
          { key: 'cost', label: 'cost', num: true, fmt: (r) => money(r.cost, cur), sort: (r) => r.cost },
          { key: 'per1m', label: 'per 1M tokens', num: true, fmt: per1m },
          { key: 'share', label: 'share of cost', num: true, fmt: (r) => pct(r.cost, byDim.total.cost) },
        ];
        if (!byDim.total.units && !byDim.total.cost) {
          box.replaceChildren(el('div', { class: 'empty', text: 'No token charges in the period (aicost ingest llm).' }));
          return;
        }
        box.replaceChildren(el('div', { class: 'cards' }, [
          card('Tokens', compact(byDim.total.units), num(byDim.total.units, 0) + ' tokens', 'llm-tokens'),
          card('Token cost', money(byDim.total.cost, cur), `${byDim.from} to ${byDim.to}`, 'llm-cost'),
          card('Cost per 1M tokens', byDim.total.units ? money((byDim.total.cost / byDim.total.units) * 1e6, cur) : '–', 'blended', 'llm-per1m'),
          card('Prompt cache hit rate', pct(cached, input), num(cached, 0) + ' of ' + num(input, 0) + ' input tokens read from cache', 'llm-cache')]),
        panel('By ' + sel.value, '', [table(cols(sel.value), byDim.rows, { testid: 'llm-table', sortKey: 'cost' })]),
        panel('By ' + teamDim(), '', [table(cols(teamDim()), byTeam.rows, { testid: 'llm-team-table', sortKey: 'cost' })]));
      } catch (e) { box.replaceChildren(errorBox(e)); }
    };
    sel.addEventListener('change', load);
    await load();
  }

  async function unit(main) {
    const builtin = ['tokens', '1k_tokens', '1m_tokens', 'requests'];
    const metrics = state.meta.metrics.filter((m) => !builtin.includes(m)).concat(builtin);
    const sel = el('select', { id: 'unit-metric', 'aria-label': 'Business metric' }, metrics.map((m) => el('option', { value: m, text: m })));
    const box = el('div'), cbox = el('div');
    main.append(el('p', { class: 'lede', text: 'Cost per business unit (cost allocated like the report, divided by the metric on the same dimension values), and the energy and emissions of the bill (Cloud Carbon Footprint method, measured GPU energy where telemetry exists).' }));
    main.append(el('div', { class: 'controls' }, [el('label', {}, ['Metric', sel])]));
    main.append(box, cbox);
    const load = async () => {
      box.replaceChildren(el('div', { class: 'loading', text: 'Loading…' }));
      try {
        const [byTeam, byDay] = await Promise.all([api('/api/unit-cost', range({ metric: sel.value, by: teamDim() })),
          api('/api/unit-cost', range({ metric: sel.value, by: teamDim() + ',day' }))]);
        const cur = byTeam.currency || 'USD';
        const matched = { cost: byTeam.total.cost - byTeam.cost_without_units, units: byTeam.total.units - byTeam.units_without_cost };
        const trend = el('div');
        box.replaceChildren(panel(`Cost per unit of ${sel.value}`, byTeam.unit, [el('div', { class: 'cards' }, [
          card('Unit cost', matched.units ? unitMoney(matched.cost / matched.units, cur) : '–', `per ${byTeam.unit}, where ${teamDim()} has units`, 'unit-cost'),
          card('Cost with units', money(matched.cost, cur), 'of ' + money(byTeam.total.cost, cur) + ' in the period', 'unit-total-cost'),
          card('Units', compact(byTeam.total.units), num(byTeam.total.units, 0) + ' ' + sel.value, 'unit-units'),
          card('All cost ÷ all units', byTeam.total.unit_cost === null ? '–' : unitMoney(byTeam.total.unit_cost, cur), 'the CLI\'s total unit cost', 'unit-all')]),
        el('div', { class: 'grid2' }, [el('div', {}, [trend]), table([
          { key: 'v', label: teamDim(), fmt: (r) => show(r[teamDim()]) },
          { key: 'cost', label: 'cost', num: true, fmt: (r) => money(r.cost, cur), sort: (r) => r.cost },
          { key: 'units', label: 'units', num: true, fmt: (r) => num(r.units, 0), sort: (r) => r.units },
          { key: 'unit_cost', label: 'unit cost', num: true, fmt: (r) => unitMoney(r.unit_cost, cur), sort: (r) => r.unit_cost === null ? -1 : r.unit_cost },
        ], byTeam.rows, { testid: 'unit-table', sortKey: 'cost' })])]));
        // per day: the cost of the rows that have units, over their units
        const perDay = new Map();
        for (const r of byDay.rows) {
          if (!r.units) continue;
          const d = perDay.get(r.day) || { cost: 0, units: 0 };
          d.cost += r.cost;
          d.units += r.units;
          perDay.set(r.day, d);
        }
        const days = [...perDay.keys()].sort();
        trend.append(el('div', { class: 'hint', text: `Daily cost per unit, where ${teamDim()} has units` }));
        chart(trend, { height: 240, series: [{}, { label: 'unit cost', stroke: '#1f4e79', width: 2, value: (u, v) => unitMoney(v, cur) }],
          axes: [{}, { size: 90, values: (u, vals) => vals.map((v) => unitMoney(v, cur)) }] },
        [days.map((d) => dayTs(d)), days.map((d) => perDay.get(d).cost / perDay.get(d).units)]);
      } catch (e) { box.replaceChildren(errorBox(e)); }
    };
    sel.addEventListener('change', load);
    await load();
    const c = await api('/api/carbon', range({ by: teamDim() }));
    const max = Math.max(0, ...c.rows.map((r) => r.kg_co2e));
    cbox.replaceChildren(panel('Energy and emissions', 'location-based, by ' + teamDim(), [el('div', { class: 'cards' }, [
      card('Energy', num(c.total_kwh, 0) + ' kWh', num(c.gpu_measured_kwh, 0) + ' kWh measured on GPUs', 'carbon-kwh'),
      card('Emissions', num(c.total_kg_co2e / 1000, 2) + ' t CO2e', num(c.total_kg_co2e, 0) + ' kg', 'carbon-kg'),
      card('Coverage', pct(c.usage_cost - c.unestimated_usage_cost, c.usage_cost), 'of usage cost has an energy estimate', 'carbon-coverage')]),
    table([
      { key: 'v', label: teamDim(), fmt: (r) => show(r[teamDim()]) },
      { key: 'kwh', label: 'kWh', num: true, fmt: (r) => num(r.kwh, 1), sort: (r) => r.kwh },
      { key: 'kg', label: 'kg CO2e', num: true, fmt: (r) => num(r.kg_co2e, 1), sort: (r) => r.kg_co2e },
      { key: 'cost', label: 'cost', num: true, fmt: (r) => money(r.cost, c.currency), sort: (r) => r.cost },
      { key: 'bar', label: '', fmt: (r) => bar(r.kg_co2e, max) },
    ], c.rows, { testid: 'carbon-table', sortKey: 'kg' })]));
  }

  // ---- shell: navigation, session, period --------------------------------------------------
  const main = document.getElementById('main');
  function nav() {
    const ul = document.getElementById('nav');
    ul.replaceChildren(...pages.map((p, i) => el('li', {}, el('a', { href: '#/' + p.id, 'data-page': p.id },
      [el('span', { class: 'n', text: String(i + 1), 'aria-hidden': 'true' }), p.title]))));
  }
  function current() {
    const id = (location.hash.match(/^#\/([a-z]+)/) || [])[1];
    return pages.find((p) => p.id === id) || pages[0];
  }
  let seq = 0;
  async function route() {
    const p = current(), my = ++seq;
    document.querySelectorAll('#nav a').forEach((a) => { if (a.dataset.page === p.id) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current'); });
    document.getElementById('title').textContent = p.title;
    document.title = p.title + ' · aicost';
    state.charts = [];
    const box = el('div', { 'data-page': p.id });
    main.replaceChildren(el('div', { class: 'loading', text: 'Loading…' }));
    try {
      await p.render(box);
      if (my !== seq) return;
      main.replaceChildren(box);
      // charts were sized while detached: size them now
      for (const c of state.charts) c.u.setSize({ width: Math.max(320, c.container.clientWidth - 4), height: c.u.height });
      main.setAttribute('data-ready', p.id);
    } catch (e) {
      if (my !== seq) return;
      if (e instanceof AuthError) return login();
      main.replaceChildren(errorBox(e));
      main.setAttribute('data-ready', p.id);
    }
  }
  function login(msg) {
    state.token = '';
    document.getElementById('range').hidden = true;
    sessionStorage.removeItem('aicost.token');
    document.getElementById('title').textContent = 'Sign in';
    const input = el('input', { id: 'token', type: 'password', autocomplete: 'off', 'aria-label': 'API token' });
    const form = el('form', { class: 'panel login' }, [el('h2', { text: 'Sign in to aicost' }),
      el('p', { text: 'This server needs an API token (an admin token, or a team token that shows only that team\'s costs).' }),
      el('label', {}, ['Token', input]), el('button', { type: 'submit', text: 'Sign in' }),
      msg ? el('div', { class: 'error', role: 'alert', text: msg }) : null]);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      state.token = input.value.trim();
      try {
        await start();
        sessionStorage.setItem('aicost.token', state.token);
      } catch (e) { login(e instanceof AuthError ? 'That token was not accepted.' : e.message); }
    });
    main.replaceChildren(form);
    input.focus();
  }
  async function start() {
    state.session = await api('/api/session');
    state.meta = await api('/api/meta');
    const who = document.getElementById('who');
    who.replaceChildren(state.session.role === 'team' ? el('span', { class: 'badge', text: 'team ' + state.session.team }) : el('span', { class: 'badge', text: 'admin' }),
      state.session.name ? ' ' + state.session.name : '');
    document.getElementById('signout').hidden = !state.session.auth;
    document.getElementById('range').hidden = false;
    if (!state.to) {
      state.to = state.meta.to || isoDay(Date.now() / 1000);
      state.from = addDays(state.to, -29);
      if (state.meta.from && state.from < state.meta.from) state.from = state.meta.from;
    }
    document.getElementById('from').value = state.from;
    document.getElementById('to').value = state.to;
    document.getElementById('cost').value = state.cost;
    await route();
  }
  document.getElementById('range').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = document.getElementById('from').value, t = document.getElementById('to').value;
    if (!f || !t || f > t) return;
    state.from = f;
    state.to = t;
    state.cost = document.getElementById('cost').value;
    route();
  });
  document.getElementById('signout').addEventListener('click', () => login());
  window.addEventListener('hashchange', () => { if (state.meta) route().then(() => main.focus()); });
  document.addEventListener('keydown', (ev) => {
    if (ev.altKey || ev.ctrlKey || ev.metaKey || /^(INPUT|SELECT|TEXTAREA)$/.test(ev.target.tagName)) return;
    const n = Number(ev.key);
    if (n >= 1 && n <= pages.length) location.hash = '#/' + pages[n - 1].id;
  });
  nav();
  start().catch((e) => (e instanceof AuthError ? login() : main.replaceChildren(errorBox(e))));
})();
