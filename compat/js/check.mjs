// check.mjs reads gennctl's Arrow IPC files (spike files, state files, the variants table and
// other tables) with the official JavaScript implementation (the apache-arrow npm package) and
// compares them with an expectation file written by compat/compat_test.go:
//
//     node compat/js/check.mjs EXPECT.json
//
// EXPECT.json is {"files": [FILE...]} where FILE is
//
//     {"path": "...",                      // absolute, or relative to EXPECT.json's folder
//      "rows": N,                          // data rows over all record batches
//      "compression": "lz4"|"zstd"|"",     // informational
//      "metadata": {"k": "v"},             // exact schema metadata
//      "fields": [{"name": "...", "type": "Uint64", "metadata": {"unit": "ms"}}],
//      "dictionaries": {"population": ["E", "I"]},   // dictionary values, in order (state
//                                                    // files: "population" and "var")
//      "samples": [{"row": i, "values": {"col": v}}],// v: string for integers (exact 64-bit)
//                                                    // and strings, JSON number for floats
//      "counts": {"col": {"value": n}},              // full scan: occurrences of each value
//      "sums": {"col": "s"},                         // full scan: sum (integers, exact)
//      "constant": {"col": "v"},                     // full scan: every row has this value
//      "multiple_of": {"col": dt},                   // full scan: value == round(value/dt)*dt
//      "below": {"col": x},                          // full scan: 0 <= value < x
//      "sorted": ["col"]}                            // full scan: values never decrease
//
// It exits non-zero on the first file with mismatches (listing all of that file's) and
// otherwise prints one summary line that the Go test checks:
//
//     js-compat: checked F files, R rows, S sampled values, C full-column checks
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { RecordBatchReader, Table, Type, compressionRegistry, CompressionType } from 'apache-arrow';
import * as lz4 from 'lz4js';
import * as fzstd from 'fzstd';

// apache-arrow reads compressed IPC buffers through codecs the application registers. It
// views the decoded bytes as typed arrays in place, so they must start 8-byte aligned (fzstd
// may return a view into a larger buffer at any offset): copy such results.
const aligned = (a) => (a.byteOffset % 8 === 0 ? a : a.slice());
compressionRegistry.set(CompressionType.LZ4_FRAME, { decode: (data) => aligned(lz4.decompress(data)) });
compressionRegistry.set(CompressionType.ZSTD, { decode: (data) => aligned(fzstd.decompress(data)) });

const expectPath = process.argv[2];
if (!expectPath) {
  console.error('usage: node check.mjs EXPECT.json');
  process.exit(2);
}
const expect = JSON.parse(readFileSync(expectPath, 'utf8'));
const base = dirname(expectPath);

let nFiles = 0, nRows = 0, nSamples = 0, nChecks = 0;

function mapOf(m) {
  const o = {};
  if (m) for (const [k, v] of m) o[k] = v;
  return o;
}

function sameMap(a, b) {
  const ka = Object.keys(a).sort(), kb = Object.keys(b).sort();
  return JSON.stringify(ka) === JSON.stringify(kb) && ka.every((k) => a[k] === b[k]);
}

// norm turns a value read by apache-arrow into the expectation's representation: integers
// (bigint or number from an integer column) as decimal strings, floats as numbers.
function norm(type, v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  if (type.typeId === Type.Int) return String(v);
  return v;
}

function checkFile(fx) {
  const errs = [];
  const path = isAbsolute(fx.path) ? fx.path : join(base, fx.path);
  const bytes = readFileSync(path);
  const reader = RecordBatchReader.from(bytes);
  if (!reader.isFile()) errs.push('not in the Arrow IPC file format');
  const batches = [...reader];
  const table = new Table(reader.schema, batches);
  const schema = table.schema;

  if (table.numRows !== fx.rows) errs.push(`rows: got ${table.numRows}, want ${fx.rows}`);
  const md = mapOf(schema.metadata);
  if (!sameMap(md, fx.metadata || {})) errs.push(`schema metadata: got ${JSON.stringify(md)}, want ${JSON.stringify(fx.metadata)}`);

  const gotNames = schema.fields.map((f) => f.name);
  const wantNames = fx.fields.map((f) => f.name);
  if (JSON.stringify(gotNames) !== JSON.stringify(wantNames)) errs.push(`fields: got ${gotNames}, want ${wantNames}`);
  for (const wf of fx.fields) {
    const f = schema.fields.find((x) => x.name === wf.name);
    if (!f) continue;
    if (String(f.type) !== wf.type) errs.push(`field ${wf.name}: type ${f.type}, want ${wf.type}`);
    const fm = mapOf(f.metadata);
    if (!sameMap(fm, wf.metadata || {})) errs.push(`field ${wf.name}: metadata ${JSON.stringify(fm)}, want ${JSON.stringify(wf.metadata || {})}`);
  }

  for (const [name, want] of Object.entries(fx.dictionaries || {})) {
    const f = schema.fields.find((x) => x.name === name);
    if (!f || f.type.typeId !== Type.Dictionary) { errs.push(`${name}: not dictionary-encoded`); continue; }
    // The file format allows one dictionary per field: every batch must carry the same one.
    for (const [i, b] of batches.entries()) {
      const dict = b.getChild(name).data[0].dictionary;
      const got = dict ? [...dict] : [];
      if (JSON.stringify(got) !== JSON.stringify(want)) errs.push(`${name}: batch ${i} dictionary ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
    }
    nChecks++;
  }

  const col = (name) => {
    const c = table.getChild(name);
    if (!c) errs.push(`no column ${name}`);
    return c;
  };

  for (const s of fx.samples || []) {
    for (const [name, want] of Object.entries(s.values)) {
      const c = col(name);
      if (!c) continue;
      const got = norm(c.type, c.get(s.row));
      if (got !== want) errs.push(`row ${s.row} ${name}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
      nSamples++;
    }
  }

  const scan = (name, fn) => {
    const c = col(name);
    if (!c) return;
    nChecks++;
    let i = 0;
    for (const v of c) fn(norm(c.type, v), i++);
  };
  for (const [name, want] of Object.entries(fx.counts || {})) {
    const got = {};
    scan(name, (v) => { got[v] = (got[v] || 0) + 1; });
    if (!sameMap(got, want)) errs.push(`${name}: value counts ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  }
  for (const [name, want] of Object.entries(fx.sums || {})) {
    let sum = 0n;
    scan(name, (v) => { sum += BigInt(v); });
    if (sum.toString() !== want) errs.push(`${name}: sum ${sum}, want ${want}`);
  }
  for (const [name, want] of Object.entries(fx.constant || {})) {
    let bad = 0, first;
    scan(name, (v, i) => { if (v !== want) { bad++; first ??= `row ${i}: ${v}`; } });
    if (bad) errs.push(`${name}: ${bad} rows differ from ${want} (${first})`);
  }
  for (const [name, dt] of Object.entries(fx.multiple_of || {})) {
    let bad = 0, first;
    scan(name, (v, i) => { if (v !== Math.round(v / dt) * dt) { bad++; first ??= `row ${i}: ${v}`; } });
    if (bad) errs.push(`${name}: ${bad} values are not multiples of ${dt} (${first})`);
  }
  for (const [name, hi] of Object.entries(fx.below || {})) {
    let bad = 0, first;
    scan(name, (v, i) => { const x = Number(v); if (!(x >= 0 && x < hi)) { bad++; first ??= `row ${i}: ${v}`; } });
    if (bad) errs.push(`${name}: ${bad} values outside [0, ${hi}) (${first})`);
  }

  for (const name of fx.sorted || []) {
    let prev = null, bad = 0, first;
    scan(name, (v, i) => { const x = BigInt(v); if (prev !== null && x < prev) { bad++; first ??= `row ${i}: ${v} after ${prev}`; } prev = x; });
    if (bad) errs.push(`${name}: not sorted, ${bad} decreases (${first})`);
  }

  if (errs.length) {
    console.error(`${fx.path}:\n  ` + errs.join('\n  '));
    process.exit(1);
  }
  nFiles++;
  nRows += table.numRows;
}

for (const fx of expect.files) {
  try {
    checkFile(fx);
  } catch (e) {
    console.error(`${fx.path}: ${e.stack || e}`);
    process.exit(1);
  }
}
console.log(`js-compat: checked ${nFiles} files, ${nRows} rows, ${nSamples} sampled values, ${nChecks} full-column checks`);
