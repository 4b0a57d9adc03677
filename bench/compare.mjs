// Cross-check of bench/run.sh: aicost `report --by team,month --format json`
// against the DuckDB peer's `query` output (run with PEER_SHOW_ROWS=1).
// A benchmark of two tools that disagree on the answer measures nothing, so
// every (team, month) cost must agree to 1e-6.
//   node bench/compare.mjs AICOST.json DUCKDB.json
import { readFileSync } from 'node:fs';

const [a, d] = process.argv.slice(2).map((f) => JSON.parse(readFileSync(f, 'utf8')));
// Costs are compared as decimal strings scaled to 1e-6, not as doubles.
const micros = (v) => {
  const s = typeof v === 'number' ? v.toFixed(7) : String(v);
  const [i, f = ''] = s.replace(/^-/, '').split('.');
  const m = BigInt(i + (f + '0000000').slice(0, 7));
  const r = (m + 5n) / 10n;
  return s.startsWith('-') ? -r : r;
};
const key = (r) => `${r.team}|${String(r.month).slice(0, 7)}`;
const am = new Map(a.rows.map((r) => [key(r), micros(r.cost)]));
const dm = new Map((d.result || []).map((r) => [key(r), micros(r.cost)]));
const bad = [];
for (const k of new Set([...am.keys(), ...dm.keys()])) {
  const x = am.get(k), y = dm.get(k);
  // Doubles in aicost's JSON carry ~16 digits; allow 1e-6 on each side.
  if (x === undefined || y === undefined || (x > y ? x - y : y - x) > 1n) bad.push(`${k}: aicost ${a.rows.find((r) => key(r) === k)?.cost ?? '-'} duckdb ${dm.has(k) ? d.result.find((r) => key(r) === k).cost : '-'}`);
}
if (bad.length) {
  console.log(`report cross-check FAILED: ${bad.length} of ${am.size} groups differ, e.g. ${bad.slice(0, 3).join('; ')}`);
  process.exit(1);
}
console.log(`report cross-check OK: ${am.size} (team, month) groups agree to 1e-6 with DuckDB; total ${a.total}`);
