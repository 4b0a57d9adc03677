// DuckDB peer for the aicost benchmark (bench/run.sh).
//
//   node bench/duckdb/peer.mjs ingest FILE DBFILE   -> {"rows":n,"seconds":s}
//   node bench/duckdb/peer.mjs query DBFILE [RUNS]  -> {"seconds_median":s,"seconds":[..],"rows":n,"total":"..."}
//   node bench/duckdb/peer.mjs shares FILE          -> tag coverage of a FOCUS file (generator tuning)
//
// The peer does what `aicost ingest focus` + `aicost report --by team,month`
// do, the way a practitioner would with DuckDB: one CREATE TABLE AS over
// read_csv, then a GROUP BY with json_extract_string on Tags. Money columns
// are exact DECIMALs so the totals are exact like aicost's (no DOUBLE), which
// keeps the comparison honest. Peak RSS is measured from outside
// (/usr/bin/time -f %M), so this script prints only timings.
import { DuckDBInstance } from '@duckdb/node-api';

// Amounts are exact decimals, never DOUBLE. The default types are the
// narrowest exact ones for gen_focus output (per-row costs < 1e8 with at most
// 10 decimals, quantities < 1e9 with at most 9): DuckDB stores DECIMAL(18,s)
// in 64 bits and parses it ~2.3x faster than DECIMAL(38,s), and sum() of a
// DECIMAL(18,s) is an exact DECIMAL(38,s). For arbitrary FOCUS files set
// PEER_MONEY=DECIMAL(38,18) (rows with more decimals would otherwise be rounded).
const MONEY = process.env.PEER_MONEY || 'DECIMAL(18,10)';
const QTY = process.env.PEER_MONEY || 'DECIMAL(18,9)';
// Columns whose type must not be sniffed: amounts (see above), timestamps,
// and account IDs, which are strings even when they look like numbers (AWS
// account IDs may start with 0).
const TYPES = {
  BilledCost: MONEY, EffectiveCost: MONEY, ListCost: MONEY, ContractedCost: MONEY,
  ConsumedQuantity: QTY, PricingQuantity: QTY,
  ListUnitPrice: MONEY, ContractedUnitPrice: MONEY,
  ChargePeriodStart: 'TIMESTAMP', ChargePeriodEnd: 'TIMESTAMP',
  BillingPeriodStart: 'TIMESTAMP', BillingPeriodEnd: 'TIMESTAMP',
  BillingAccountId: 'VARCHAR', SubAccountId: 'VARCHAR', Tags: 'VARCHAR',
  SkuPriceDetails: 'VARCHAR', ResourceId: 'VARCHAR',
};

// The equivalent of the team dimension in bench/aicost-bench.yaml:
// first present of tags team/Team/owner_team, lower-cased, else 'unallocated'.
const REPORT_SQL = `
SELECT coalesce(lower(coalesce(json_extract_string(Tags, '$.team'),
                               json_extract_string(Tags, '$.Team'),
                               json_extract_string(Tags, '$.owner_team'))),
                'unallocated') AS team,
       strftime(date_trunc('month', ChargePeriodStart), '%Y-%m') AS month,
       CAST(sum(EffectiveCost) AS DECIMAL(38,18)) AS cost
FROM charges
GROUP BY ALL
ORDER BY month, team`;

function sqlString(s) {
  return `'${String(s).replaceAll("'", "''")}'`;
}

function readCsv(file) {
  const types = Object.entries(TYPES).map(([k, v]) => `'${k}': '${v}'`).join(', ');
  // header=true: columns by name; nullstr covers FOCUS's two null spellings.
  return `read_csv(${sqlString(file)}, header=true, delim=',', quote='"', escape='"',
    nullstr=['', 'NULL'], types={${types}}, sample_size=20480)`;
}

async function open(db) {
  const inst = await DuckDBInstance.create(db);
  return { inst, conn: await inst.connect() };
}

async function ingest(file, db) {
  const { conn } = await open(db);
  const t0 = process.hrtime.bigint();
  await conn.run(`CREATE OR REPLACE TABLE charges AS SELECT * FROM ${readCsv(file)}`);
  await conn.run('CHECKPOINT');
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const r = await conn.runAndReadAll('SELECT count(*)::BIGINT AS n FROM charges');
  const rows = Number(r.getRows()[0][0]);
  conn.closeSync?.();
  return { rows, seconds: secs };
}

async function query(db, runs) {
  const { conn } = await open(db);
  const times = [];
  let result;
  // One warm-up run: aicost's report is measured warm too.
  await conn.runAndReadAll(REPORT_SQL);
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    result = await conn.runAndReadAll(REPORT_SQL);
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  const rows = result.getRowObjectsJson();
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const t = await conn.runAndReadAll('SELECT CAST(sum(EffectiveCost) AS DECIMAL(38,18))::VARCHAR FROM charges');
  return { seconds_median: median, seconds: times, rows: rows.length, total: t.getRows()[0][0],
           result: process.env.PEER_SHOW_ROWS ? rows : undefined };
}

// Cost shares by tag coverage, read straight from a CSV (no database file).
async function shares(file) {
  const { conn } = await open(':memory:');
  await conn.run(`CREATE TABLE charges AS SELECT * FROM ${readCsv(file)}`);
  const q = async (sql) => (await conn.runAndReadAll(sql)).getRowObjectsJson();
  const out = {};
  out.total = await q(`SELECT count(*) AS rows, sum(EffectiveCost)::DOUBLE AS cost,
      count(DISTINCT ResourceId) AS resources, count(DISTINCT SkuId) AS skus,
      count(DISTINCT SubAccountName) AS sub_accounts FROM charges`);
  out.team_tag = await q(`SELECT (coalesce(json_extract_string(Tags,'$.team'), json_extract_string(Tags,'$.Team'),
      json_extract_string(Tags,'$.owner_team')) IS NOT NULL) AS has_team,
      round(100 * sum(EffectiveCost) / (SELECT sum(EffectiveCost) FROM charges), 1)::DOUBLE AS pct
      FROM charges GROUP BY 1 ORDER BY 1`);
  // The rules of data/demo/aicost.yaml, for rows without a team tag.
  out.after_rules = await q(`SELECT CASE
        WHEN coalesce(json_extract_string(Tags,'$.team'), json_extract_string(Tags,'$.Team'),
                      json_extract_string(Tags,'$.owner_team')) IS NOT NULL THEN 'tagged'
        WHEN SubAccountName LIKE 'ml-platform%' THEN 'rule:platform'
        WHEN SubAccountName LIKE 'fraud-ml%' THEN 'rule:fraud'
        WHEN SubAccountName LIKE 'data-lake%' THEN 'rule:data-engineering'
        ELSE 'unallocated' END AS how,
      round(100 * sum(EffectiveCost) / (SELECT sum(EffectiveCost) FROM charges), 1)::DOUBLE AS pct
      FROM charges GROUP BY 1 ORDER BY 1`);
  out.by_category = await q(`SELECT ServiceCategory, round(100 * sum(EffectiveCost) /
      (SELECT sum(EffectiveCost) FROM charges), 1)::DOUBLE AS pct, count(*) AS rows
      FROM charges GROUP BY 1 ORDER BY 2 DESC`);
  out.by_charge_category = await q(`SELECT ChargeCategory, count(*) AS rows,
      sum(EffectiveCost)::DOUBLE AS effective, sum(BilledCost)::DOUBLE AS billed FROM charges GROUP BY 1 ORDER BY 1`);
  out.by_provider_month = await q(`SELECT ProviderName, strftime(date_trunc('month', ChargePeriodStart), '%Y-%m') AS month,
      round(sum(EffectiveCost))::DOUBLE AS cost FROM charges GROUP BY ALL ORDER BY ALL`);
  out.team_values = await q(`SELECT lower(coalesce(json_extract_string(Tags,'$.team'), json_extract_string(Tags,'$.Team'),
      json_extract_string(Tags,'$.owner_team'))) AS v, round(sum(EffectiveCost))::DOUBLE AS cost
      FROM charges GROUP BY 1 ORDER BY 2 DESC`);
  return out;
}

const [cmd, a, b] = process.argv.slice(2);
try {
  let res;
  if (cmd === 'ingest' && a && b) res = await ingest(a, b);
  else if (cmd === 'query' && a) res = await query(a, Number(b || process.env.PEER_RUNS || 5));
  else if (cmd === 'shares' && a) res = await shares(a);
  else {
    process.stderr.write('usage: peer.mjs ingest FILE DBFILE | query DBFILE [RUNS] | shares FILE\n');
    process.exit(2);
  }
  process.stdout.write(JSON.stringify(res, (k, v) => (typeof v === 'bigint' ? v.toString() : v),
                                      cmd === 'shares' ? 1 : 0) + '\n');
} catch (e) {
  process.stderr.write(`peer.mjs: ${cmd}: ${e.message}\n`);
  process.exit(1);
}
