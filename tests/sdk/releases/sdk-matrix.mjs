#!/usr/bin/env node
// The SDK release matrix: each published release of @erc7824/nitrolite (pinned in its own
// folder beside this file) × a broker × the flows of lib/flows.mjs, one cell each.
//
//   node sdk-matrix.mjs --broker embedded  [--releases 0.3.0,0.4.0,0.5.3] [--out FILE] [--expect FILE] [--update FILE]
//   node sdk-matrix.mjs --broker clearnode [--url ws://127.0.0.1:8000/ws] [--fund-cmd adapters/clearnode/fund.sh] …
//
// embedded:  starts `nitrocert serve --port 0` ($NITROCERT_BIN, else target/debug/nitrocert)
//            with every release's wallets funded (plus $NITROCERT_SERVE_ARGS), and stops it.
// clearnode: drives a running Clearnode v0.5.2 (scripts/sdk-matrix.sh starts it under the
//            machine-wide lock); wallets are funded with `<fund-cmd> WALLET usdc 1000`.
// --expect:  exit 1 when a cell of the brokers and releases run differs from the file (CI).
// --update:  write the observed cells into the file, keeping the other brokers' cells and the
//            notes (never in CI).
// Exit codes: 0 ran (and matched), 1 a cell changed, 2 the harness could not run.

import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadRelease, RELEASES, RELEASES_DIR } from './lib/release.mjs';
import { ReleaseRun, walletsOf, FLOWS, CLASSES } from './lib/flows.mjs';

const REPO = path.resolve(RELEASES_DIR, '../../..');
export const BROKERS = { embedded: 'embedded', clearnode: 'clearnode-v0.5.2' };
const FORMAT = 'nitrocert-sdk-matrix/1';

function options(argv) {
  const opt = (name, dflt) => {
    const i = argv.indexOf(name);
    return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
  };
  const broker = opt('--broker');
  if (!BROKERS[broker]) throw new Error('--broker embedded|clearnode is required');
  return {
    broker,
    releases: opt('--releases', Object.keys(RELEASES).join(',')).split(',').filter(Boolean),
    url: opt('--url', 'ws://127.0.0.1:8000/ws'),
    fundCmd: path.resolve(REPO, opt('--fund-cmd', 'adapters/clearnode/fund.sh')),
    out: opt('--out'),
    expect: opt('--expect'),
    update: opt('--update'),
  };
}

/** `nitrocert serve --port 0 --fund …`; resolves with {url, stop} once it printed its ws:// URL. */
function startEmbedded(wallets) {
  const bin = path.resolve(REPO, process.env.NITROCERT_BIN || 'target/debug/nitrocert');
  if (!existsSync(bin)) throw new Error(`nitrocert binary not found at ${bin}: run \`cargo build\` or set NITROCERT_BIN`);
  const fund = wallets.flatMap((a) => ['--fund', `${a}:usdc:1000`]);
  // NITROCERT_SERVE_ARGS adds arguments (`--fault close-skips-credit`: see the matrix catch a seeded bug).
  const extra = (process.env.NITROCERT_SERVE_ARGS || '').split(/\s+/).filter(Boolean);
  const child = spawn(bin, ['serve', '--port', '0', ...fund, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  process.once('exit', () => { try { child.kill('SIGKILL'); } catch { /* gone */ } });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`nitrocert serve printed no ws:// URL within 15 s: ${err}`)), 15000);
    child.on('exit', (code) => { clearTimeout(t); reject(new Error(`nitrocert serve exited (${code}): ${err}`)); });
    child.stdout.on('data', (d) => {
      out += d;
      const m = /(ws:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve({ url: m[1], stop: () => child.kill('SIGTERM') });
      }
    });
  });
}

const key = (c) => `${c.release}|${c.broker}|${c.flow}`;
const order = (c) => [Object.keys(RELEASES).indexOf(c.release), c.broker, FLOWS.indexOf(c.flow)];
function sortCells(cells) {
  return [...cells].sort((a, b) => {
    const [x, y] = [order(a), order(b)];
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
    return 0;
  });
}

/** Lines naming every cell of `observed`'s brokers and releases that differs from `expected`. */
export function differences(expected, observed, brokers, releases) {
  const inScope = (c) => brokers.includes(c.broker) && releases.includes(c.release);
  const want = new Map(expected.filter(inScope).map((c) => [key(c), c]));
  const got = new Map(observed.map((c) => [key(c), c]));
  const lines = [];
  const show = (c) => (c ? `${c.class}${c.via ? ` (${c.via})` : ''}: ${c.detail}` : '(no cell)');
  for (const k of new Set([...want.keys(), ...got.keys()])) {
    const [w, g] = [want.get(k), got.get(k)];
    if (!w || !g || w.class !== g.class || w.detail !== g.detail || (w.via ?? null) !== (g.via ?? null)) {
      lines.push(`${k}\n  committed: ${show(w)}\n  observed:  ${show(g)}`);
    }
  }
  return lines;
}

async function main() {
  const o = options(process.argv.slice(2));
  const rels = o.releases.map(loadRelease);
  const brokerName = BROKERS[o.broker];
  const addresses = rels.flatMap((r) => Object.values(walletsOf(r)).map((w) => w.address));
  let broker;
  if (o.broker === 'embedded') {
    broker = await startEmbedded(addresses);
  } else {
    for (const a of addresses) execFileSync(o.fundCmd, [a, 'usdc', '1000'], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 30000 });
    broker = { url: o.url, stop() {} };
  }
  const cells = [];
  try {
    for (const rel of rels) {
      const run = new ReleaseRun(rel, { name: brokerName, url: broker.url });
      for (const c of await run.run()) cells.push({ release: rel.version, broker: brokerName, ...c });
      const counts = CLASSES.map((k) => [k, cells.filter((c) => c.release === rel.version && c.class === k).length]).filter(([, n]) => n);
      console.log(`${rel.version} × ${brokerName}: ${counts.map(([k, n]) => `${n} ${k}`).join(', ')}`);
    }
  } finally {
    broker.stop();
  }
  const doc = { format: FORMAT, flows: FLOWS, cells: sortCells(cells) };
  if (o.out) writeFileSync(o.out, `${JSON.stringify(doc, null, 2)}\n`);
  for (const c of doc.cells) if (c.class !== 'PASS') console.log(`  ${c.release} ${c.flow}: ${c.class}${c.via ? ` (${c.via})` : ''}: ${c.detail}`);
  if (o.update) update(o.update, doc.cells, [brokerName], o.releases);
  if (o.expect) {
    const expected = JSON.parse(readFileSync(o.expect, 'utf8'));
    const diff = differences(expected.cells, doc.cells, [brokerName], o.releases);
    if (diff.length) {
      console.log(`${diff.length} cell(s) changed from ${o.expect}:\n${diff.join('\n')}`);
      return 1;
    }
    console.log(`all ${doc.cells.length} cells as committed in ${path.relative(process.cwd(), o.expect)}`);
  }
  return 0;
}

/** Replaces the cells of `brokers` × `releases` in `file`, keeping everything else. */
function update(file, cells, brokers, releases) {
  const old = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { format: FORMAT, notes: {} };
  const keep = (old.cells ?? []).filter((c) => !(brokers.includes(c.broker) && releases.includes(c.release)));
  const doc = { format: FORMAT, flows: FLOWS, notes: old.notes ?? {}, cells: sortCells([...keep, ...cells]) };
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
  console.log(`wrote ${file}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then((code) => process.exit(code), (e) => {
    console.error(`sdk-matrix: ${e?.stack || e}`);
    process.exit(2);
  });
}
