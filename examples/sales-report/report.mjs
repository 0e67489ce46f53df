// Builds a sales report from a CSV of sales and leaves it in the run's
// artifacts folder as sales-report.csv and sales-report.html. It runs inside
// a Jobflow `shell` job (see sales-report.sh, which defines that job): Node.js
// is on every worker, and nothing else is needed.
//
//   SALES_DATA              the data: a path the worker can read, or an http(s) URL
//   JOBFLOW_ARTIFACTS_DIR   where files left behind are attached to the run
//
// The data is CSV with a header row naming at least these columns, in any
// order: date (YYYY-MM-DD), region, product, units (a whole number),
// unit_price (a decimal, e.g. 12.50). Fields may be quoted ("a, b", "say ""hi""").
// It is read line by line: memory holds the totals, never the file.
// A row that does not fit is skipped and named on stderr.
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';

const source = process.env.SALES_DATA;
const outDir = process.env.JOBFLOW_ARTIFACTS_DIR;
if (!source || !outDir) {
  console.error('report: SALES_DATA (a path or URL) and JOBFLOW_ARTIFACTS_DIR must be set');
  process.exit(2);
}
const COLUMNS = ['date', 'region', 'product', 'units', 'unit_price'];
const SKIPS_SHOWN = 20;

/** The data as a byte stream, from a file or an http(s) URL. */
async function open(location) {
  if (!/^https?:\/\//i.test(location)) return createReadStream(location);
  const response = await fetch(location);
  if (!response.ok || !response.body) throw new Error(`GET ${location}: ${response.status} ${response.statusText}`);
  return Readable.fromWeb(response.body);
}

/** The fields of one CSV line (RFC 4180 quoting, no line breaks inside a field); null when a quote is left open. */
function fieldsOf(line) {
  const fields = [];
  let field = '';
  let isQuoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (isQuoted && ch === '"' && line[i + 1] === '"') {
      field += '"';
      i++;
    } else if (isQuoted && ch === '"') {
      isQuoted = false;
    } else if (!isQuoted && ch === '"' && field === '') {
      isQuoted = true;
    } else if (!isQuoted && ch === ',') {
      fields.push(field);
      field = '';
    } else {
      field += ch;
    }
  }
  if (isQuoted) return null;
  fields.push(field);
  return fields;
}

/** A decimal price as whole cents, or null. */
function cents(text) {
  const m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(text.trim());
  return m ? Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0')) : null;
}

const money = (c) => `${c < 0 ? '-' : ''}${Math.floor(Math.abs(c) / 100)}.${String(Math.abs(c) % 100).padStart(2, '0')}`;
const csvField = (v) => (/[",\r\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
const html = (v) => String(v).replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]);

/** Totals per key: orders, units and revenue in cents. */
const tally = () => new Map();
function add(totals, key, units, revenue) {
  const t = totals.get(key) ?? { orders: 0, units: 0, revenue: 0 };
  t.orders += 1;
  t.units += units;
  t.revenue += revenue;
  totals.set(key, t);
}
const byRevenue = (totals) => [...totals].sort(([a, x], [b, y]) => y.revenue - x.revenue || (a < b ? -1 : 1));

const byRegion = tally();
const byProduct = tally();
const byMonth = tally();
const all = { orders: 0, units: 0, revenue: 0 };
let first = null;
let last = null;
let index = null;
let lineNo = 0;
let skipped = 0;

const skip = (why) => {
  skipped++;
  if (skipped <= SKIPS_SHOWN) console.error(`line ${lineNo}: skipped: ${why}`);
};

for await (const raw of createInterface({ input: await open(source), crlfDelay: Infinity })) {
  lineNo++;
  const line = raw.replace(/^\uFEFF/, '');
  if (line.trim() === '') continue;
  const fields = fieldsOf(line);
  if (!fields) {
    skip('a quoted field is not closed');
    continue;
  }
  if (!index) {
    const header = fields.map((f) => f.trim().toLowerCase());
    const missing = COLUMNS.filter((c) => !header.includes(c));
    if (missing.length) {
      console.error(`report: the header lacks ${missing.join(', ')} (it has: ${header.join(', ')})`);
      process.exit(1);
    }
    index = Object.fromEntries(COLUMNS.map((c) => [c, header.indexOf(c)]));
    continue;
  }
  const get = (column) => (fields[index[column]] ?? '').trim();
  const date = get('date');
  const units = Number(get('units'));
  const price = cents(get('unit_price'));
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) skip(`date "${date}" is not YYYY-MM-DD`);
  else if (!get('region') || !get('product')) skip('region or product is empty');
  else if (!Number.isInteger(units) || units < 0 || get('units') === '') skip(`units "${get('units')}" is not a whole number`);
  else if (price === null) skip(`unit_price "${get('unit_price')}" is not a price`);
  else {
    const revenue = units * price;
    add(byRegion, get('region'), units, revenue);
    add(byProduct, get('product'), units, revenue);
    add(byMonth, date.slice(0, 7), units, revenue);
    all.orders += 1;
    all.units += units;
    all.revenue += revenue;
    if (first === null || date < first) first = date;
    if (last === null || date > last) last = date;
  }
}
if (!index) {
  console.error('report: the data is empty');
  process.exit(1);
}
if (skipped > SKIPS_SHOWN) console.error(`... and ${skipped - SKIPS_SHOWN} more skipped rows`);

const share = (revenue) => (all.revenue ? ((revenue * 100) / all.revenue).toFixed(1) : '0.0');
const regions = byRegion.size ? byRevenue(byRegion) : [];

// The CSV: one row per region, most revenue first, then the total.
const csv = [
  'region,orders,units,revenue,share_percent',
  ...regions.map(([region, t]) => [region, t.orders, t.units, money(t.revenue), share(t.revenue)].map(csvField).join(',')),
  ['TOTAL', all.orders, all.units, money(all.revenue), all.orders ? '100.0' : '0.0'].join(','),
].join('\n');
await writeFile(join(outDir, 'sales-report.csv'), csv + '\n');

// The HTML: a page that stands alone (inline style, no script, nothing fetched).
const table = (caption, head, rows) => `
<table>
  <caption>${html(caption)}</caption>
  <thead><tr>${head.map((h, i) => `<th${i ? ' class="n"' : ''}>${html(h)}</th>`).join('')}</tr></thead>
  <tbody>
${rows.map((r) => `    <tr>${r.map((v, i) => `<td${i ? ' class="n"' : ''}>${html(v)}</td>`).join('')}</tr>`).join('\n')}
  </tbody>
</table>`;
const period = first ? `${first} to ${last}` : 'no sales';
const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Sales report, ${html(period)}</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #1b1f24; }
  table { border-collapse: collapse; margin: 1.5rem 0; min-width: 28rem; }
  caption { text-align: left; font-weight: 600; margin-bottom: .4rem; }
  th, td { padding: .3rem .8rem; border-bottom: 1px solid #d0d7de; }
  .n { text-align: right; font-variant-numeric: tabular-nums; }
</style>
</head>
<body>
<h1>Sales report</h1>
<p>${html(period)}: ${all.orders} orders, ${all.units} units, revenue <strong>${money(all.revenue)}</strong>${skipped ? ` (${skipped} rows skipped)` : ''}.</p>
${table(
  'By region',
  ['Region', 'Orders', 'Units', 'Revenue', 'Share %'],
  regions.map(([region, t]) => [region, t.orders, t.units, money(t.revenue), share(t.revenue)]),
)}
${table(
  'By product',
  ['Product', 'Orders', 'Units', 'Revenue'],
  byRevenue(byProduct).map(([product, t]) => [product, t.orders, t.units, money(t.revenue)]),
)}
${table(
  'By month',
  ['Month', 'Orders', 'Units', 'Revenue'],
  [...byMonth].sort(([a], [b]) => (a < b ? -1 : 1)).map(([month, t]) => [month, t.orders, t.units, money(t.revenue)]),
)}
</body>
</html>
`;
await writeFile(join(outDir, 'sales-report.html'), page);

console.log(`${all.orders} sales from ${period}, ${skipped} rows skipped`);
for (const [region, t] of regions) console.log(`${region}: ${money(t.revenue)} (${share(t.revenue)} %)`);
console.log(`total: ${money(all.revenue)}`);
