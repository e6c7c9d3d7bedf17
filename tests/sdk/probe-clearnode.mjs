#!/usr/bin/env node
// Probes a live Clearnode (v0.5.2) with the official SDK @erc7824/nitrolite 0.5.3 and writes a
// JSON transcript: for every request the exact frame sent, every frame received up to and
// including the response, frames that arrived on the connection or on the other participants'
// connections right after it, the balances after it, and the digest's prediction with a verdict.
//
// Usage: node probe-clearnode.mjs [--url ws://127.0.0.1:8000/ws] [--out FILE] [--no-reset]
//                                 [--only GROUP[,GROUP]]
// By default each scenario group first runs adapters/clearnode/reset.sh and funds its wallets
// with fund.sh (child processes). --no-reset leaves resetting and funding to the caller.
//
// Keys are deterministic test keys (Hardhat/Anvil dev keys #0/#1 for the worked scenario of
// app-sessions.md §15, 0x…11/0x…12/0x…13 otherwise). Never use them with real funds.

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { createWalletClient, custom, keccak256, toHex, concat, recoverAddress } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import nitrolite from '@erc7824/nitrolite';

const {
  createAuthRequestMessage,
  createAuthVerifyMessageFromChallenge,
  createEIP712AuthMessageSigner,
  createECDSAMessageSigner,
  createAppSessionMessage,
  createSubmitAppStateMessage,
  createCloseAppSessionMessage,
  createGetLedgerBalancesMessage,
  createGetAppDefinitionMessage,
  createGetAppSessionsMessage,
  createPingMessage,
  createGetConfigMessage,
  parseAnyRPCResponse,
} = nitrolite;

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
const ADAPTER = path.join(REPO, 'adapters/clearnode');

// ---------------------------------------------------------------------------------------------
// options

const argv = process.argv.slice(2);
function opt(name, dflt) {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
}
const URL = opt('--url', process.env.NITROCERT_WS_URL || 'ws://127.0.0.1:8000/ws');
const OUT = path.resolve(opt('--out', path.join(ADAPTER, 'observations/live-v0.5.2.json')));
const DO_RESET = !argv.includes('--no-reset');
const ONLY = opt('--only', '') ? opt('--only', '').split(',') : null;
const READ_TIMEOUT_MS = 5000; // every read
const SETTLE_MS = 150; // quiet time that ends a drain
const DRAIN_MAX_MS = 1500;
const WATCHDOG_MS = 300000; // whole run

// ---------------------------------------------------------------------------------------------
// keys

const KEYS = {
  HH0: '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  HH1: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  W11: '0x0000000000000000000000000000000000000000000000000000000000000011',
  W12: '0x0000000000000000000000000000000000000000000000000000000000000012',
  W13: '0x0000000000000000000000000000000000000000000000000000000000000013',
};
const ADDR = Object.fromEntries(Object.entries(KEYS).map(([k, pk]) => [k, privateKeyToAccount(pk).address]));
const sessionKeyOf = (pk) => keccak256(concat([pk, toHex('nitrocert-session-key')]));
const signer = (pk) => createECDSAMessageSigner(pk);

// app_session_id as the digest predicts it (AS-ID-2): keccak256 of Go's compact JSON of the
// parsed definition, keys in fixed order. JSON.stringify matches Go for the ASCII strings used here.
function predictedSessionId(def) {
  const b = JSON.stringify({
    application: def.application ?? '',
    protocol: def.protocol,
    participants: def.participants,
    weights: def.weights,
    quorum: def.quorum ?? 0,
    challenge: def.challenge ?? 0,
    nonce: def.nonce ?? 0,
  });
  return keccak256(toHex(b));
}

// ---------------------------------------------------------------------------------------------
// connection with a frame queue; every read has a timeout

const pendingSigChecks = [];
class Conn {
  constructor(label, wallet) {
    this.label = label;
    this.wallet = wallet;
    this.queue = [];
    this.waiter = null;
    this.closed = false;
  }
  open() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(URL, { handshakeTimeout: READ_TIMEOUT_MS });
      this.ws = ws;
      const t = setTimeout(() => reject(new Error(`connect timeout ${URL}`)), READ_TIMEOUT_MS + 500);
      ws.on('open', () => { clearTimeout(t); resolve(); });
      ws.on('error', (e) => { clearTimeout(t); reject(e); });
      ws.on('close', () => { this.closed = true; if (this.waiter) { const w = this.waiter; this.waiter = null; w(null); } });
      ws.on('message', (data) => {
        const text = data.toString('utf8');
        pendingSigChecks.push(checkBrokerSig(text));
        if (this.waiter) { const w = this.waiter; this.waiter = null; w(text); } else this.queue.push(text);
      });
    });
  }
  next(timeoutMs = READ_TIMEOUT_MS) {
    if (this.queue.length) return Promise.resolve(this.queue.shift());
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.waiter = null; resolve(null); }, timeoutMs);
      this.waiter = (v) => { clearTimeout(t); resolve(v); };
    });
  }
  async drain(settleMs = SETTLE_MS, maxMs = DRAIN_MAX_MS) {
    const out = [];
    const end = Date.now() + maxMs;
    while (Date.now() < end) {
      const f = await this.next(Math.min(settleMs, Math.max(1, end - Date.now())));
      if (f === null) break;
      out.push(f);
    }
    return out;
  }
  send(text) { this.ws.send(text); }
  close() { try { this.ws.close(); } catch { /* already closed */ } }
}

// ---------------------------------------------------------------------------------------------
// helpers over frames

function parseRes(text) {
  try { const j = JSON.parse(text); return Array.isArray(j.res) ? j.res : null; } catch { return null; }
}
const methodOf = (text) => parseRes(text)?.[1] ?? '?';
// RSIG: sig[0] of every broker frame signs keccak256 of the raw bytes of its res array.
const BROKER = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
const rsig = { frames: 0, ok: 0, failures: [] };
async function checkBrokerSig(text) {
  rsig.frames++;
  try {
    const m = /^\{"res":(.*),"sig":\["(0x[0-9a-f]{130})"\]\}$/s.exec(text);
    if (!m) throw new Error('frame is not {"res":…,"sig":["0x…"]}');
    const who = await recoverAddress({ hash: keccak256(toHex(m[1])), signature: m[2] });
    if (who !== BROKER) throw new Error(`recovered ${who}`);
    rsig.ok++;
  } catch (e) {
    if (rsig.failures.length < 20) rsig.failures.push({ frame: text.slice(0, 300), error: String(e.message || e) });
  }
}
function sdkParse(text) {
  try { parseAnyRPCResponse(text); return 'ok'; } catch (e) { return `error: ${String(e.message || e).slice(0, 300)}`; }
}

// Multi-signed frame: the SDK builds and signs with the first key; every further key signs the
// identical req array (the SDK signer hashes JSON.stringify(req), the same bytes as on the wire).
async function buildFrame(method, params, id, signKeys, { noSig = false } = {}) {
  const ts = Date.now();
  const first = signer(signKeys[0] ?? KEYS.W13);
  let s;
  if (method === 'create_app_session') s = await createAppSessionMessage(first, params, id, ts);
  else if (method === 'submit_app_state') s = await createSubmitAppStateMessage(first, params, id, ts);
  else if (method === 'close_app_session') s = await createCloseAppSessionMessage(first, params, id, ts);
  else throw new Error(`buildFrame: ${method}`);
  const msg = JSON.parse(s);
  if (JSON.stringify(msg) !== s) throw new Error('SDK frame does not round-trip through JSON');
  if (noSig || signKeys.length === 0) msg.sig = [];
  for (const k of signKeys.slice(1)) msg.sig.push(await signer(k)(msg.req));
  return JSON.stringify(msg);
}

function eqArr(a, b) { return a.length === b.length && a.every((x, i) => x === b[i]); }

// ---------------------------------------------------------------------------------------------
// scenario context

class Group {
  constructor(name, base, description) {
    this.name = name;
    this.description = description;
    this.nextId = base + 1;
    this.conns = {}; // label -> Conn
    this.record = { group: name, description, setup: [], connect_frames: {}, steps: [] };
  }
  id() { return this.nextId++; }

  async setup(funding, channels = []) {
    if (!DO_RESET) { this.record.setup.push('skipped (--no-reset): caller reset and funded'); return; }
    const run = (script, args) => {
      const out = execFileSync(path.join(ADAPTER, script), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 90000 });
      this.record.setup.push(`${script} ${args.join(' ')} -> ${out.trim()}`);
    };
    run('reset.sh', []);
    for (const [label, asset, amount] of funding) run('fund.sh', [ADDR[label], asset, amount]);
    for (const [label, status, raw] of channels) run('channel.sh', [ADDR[label], status, raw]);
  }

  async connect(label, walletKey) {
    const c = new Conn(label, walletKey);
    await c.open();
    this.conns[label] = c;
    const first = await c.next(READ_TIMEOUT_MS);
    const rest = await c.drain();
    this.record.connect_frames[label] = [first, ...rest].filter((x) => x !== null);
    return c;
  }

  // One request/response on `conn`, then drains every connection of the group.
  async request(label, conn, frame, expect = {}, extra = {}) {
    const req = JSON.parse(frame).req;
    const id = req[0];
    const t0 = Date.now();
    conn.send(frame);
    const received = [];
    let response = null;
    while (true) {
      const f = await conn.next(READ_TIMEOUT_MS);
      if (f === null) break;
      received.push(f);
      const res = parseRes(f);
      if (res && res[0] !== 0) { response = f; break; }
    }
    const rtt = Date.now() - t0;
    const after = {};
    for (const [l, c] of Object.entries(this.conns)) after[l] = await c.drain();
    const res = response ? parseRes(response) : null;
    const step = {
      label,
      connection: conn.label,
      id,
      method: req[1],
      sent: frame,
      received,
      timeout: response === null,
      rtt_ms: rtt,
      response_method: res?.[1] ?? null,
      response_id: res?.[0] ?? null,
      response_params: res?.[2] ?? null,
      notifications_before_response: received.slice(0, response ? -1 : undefined).map(methodOf),
      after_response: after,
      sdk_parse: Object.fromEntries(received.map((f, i) => [i, sdkParse(f)]).filter(([, v]) => v !== 'ok')),
      ...extra,
    };
    step.checks = [];
    if (expect.error !== undefined) {
      step.checks.push(check('outcome', { error: expect.error },
        res?.[1] === 'error' ? { error: res[2]?.error } : { method: res?.[1], params: res?.[2] },
        res?.[1] === 'error' && res[2]?.error === expect.error));
    }
    if (expect.ok) {
      const p = res?.[2] ?? {};
      const want = { method: req[1], ...(expect.version !== undefined ? { version: expect.version } : {}), ...(expect.status ? { status: expect.status } : {}) };
      const got = { method: res?.[1], ...(expect.version !== undefined ? { version: p.version } : {}), ...(expect.status ? { status: p.status } : {}) };
      if (res?.[1] === 'error') got.error = p.error;
      step.checks.push(check('outcome', want, got, JSON.stringify(want) === JSON.stringify(got)));
    }
    if (expect.app_session_id) {
      step.checks.push(check('app_session_id', expect.app_session_id, res?.[2]?.app_session_id, res?.[2]?.app_session_id === expect.app_session_id));
    }
    if (expect.notifs) {
      for (const [l, want] of Object.entries(expect.notifs)) {
        const got = l === conn.label
          ? [...step.notifications_before_response, ...(after[l] || []).map((f) => `${methodOf(f)}(after response)`)]
          : (after[l] || []).map(methodOf);
        step.checks.push(check(`notifications on ${l}`, want, got, eqArr(want, got)));
      }
    }
    this.record.steps.push(step);
    return { step, res };
  }

  // get_ledger_balances on each wallet's own connection: unified, and the caller's share of a session.
  async balances(step, sid, expect) {
    const out = { unified: {}, session: {} };
    const reads = [];
    for (const [l, c] of Object.entries(this.conns)) {
      if (!c.authed) continue;
      for (const [kind, acct] of [['unified', undefined], ...(sid ? [['session', sid]] : [])]) {
        const id = this.id();
        const f = await createGetLedgerBalancesMessage(signer(c.wallet), acct, id, Date.now());
        c.send(f);
        const got = [];
        let resp = null;
        while (true) {
          const x = await c.next(READ_TIMEOUT_MS);
          if (x === null) break;
          got.push(x);
          const r = parseRes(x);
          if (r && r[0] !== 0) { resp = r; break; }
        }
        reads.push({ sent: f, received: got });
        if (!resp || resp[1] !== 'get_ledger_balances') { out[kind][l] = { error: resp ? resp[2] : 'timeout' }; continue; }
        out[kind][l] = Object.fromEntries(resp[2].ledger_balances.map((b) => [b.asset, b.amount]));
      }
    }
    step.balances_after = out;
    step.balance_reads = reads;
    if (expect) {
      for (const kind of ['unified', 'session']) {
        for (const [l, want] of Object.entries(expect[kind] || {})) {
          const bal = out[kind][l] || {};
          const got = bal.usdc ?? (Object.keys(bal).length ? `(no usdc: ${JSON.stringify(bal)})` : '(empty list)');
          step.checks.push(check(`${kind} usdc of ${l}`, want, got, got === want));
        }
      }
    }
    return out;
  }

  async auth(label, walletKey) {
    const c = this.conns[label];
    const sessionKey = privateKeyToAccount(sessionKeyOf(walletKey)).address;
    const authParams = {
      address: ADDR[label],
      session_key: sessionKey,
      application: 'clearnode',
      allowances: [],
      expires_at: Math.floor(Date.now() / 1000) + 3600,
      scope: 'console',
    };
    const reqFrame = await createAuthRequestMessage(authParams, this.id(), Date.now());
    const { res } = await this.request(`auth_request ${label}`, c, reqFrame);
    if (res?.[1] !== 'auth_challenge') throw new Error(`auth_request failed: ${JSON.stringify(res)}`);
    const challenge = res[2].challenge_message;
    const walletClient = createWalletClient({
      account: privateKeyToAccount(walletKey),
      transport: custom({ async request() { throw new Error('no RPC: local signing only'); } }),
    });
    const eip712 = createEIP712AuthMessageSigner(walletClient, {
      scope: authParams.scope,
      session_key: authParams.session_key,
      expires_at: BigInt(authParams.expires_at),
      allowances: authParams.allowances,
    }, { name: authParams.application });
    const verifyFrame = await createAuthVerifyMessageFromChallenge(eip712, challenge, this.id(), Date.now());
    const { res: vres } = await this.request(`auth_verify ${label}`, c, verifyFrame, { notifs: { [label]: ['channels(after response)', 'bu(after response)'] } });
    if (vres?.[1] !== 'auth_verify' || vres[2].success !== true) throw new Error(`auth_verify failed: ${JSON.stringify(vres)}`);
    c.authed = true;
  }

  close() { for (const c of Object.values(this.conns)) c.close(); }
}

function check(what, expected, actual, agree) { return { what, expected, actual, agree }; }

// Convenience: a multi-signed app-session request with checks and balances.
async function appReq(g, label, connLabel, method, params, signKeys, expect = {}, opts = {}) {
  const frame = await buildFrame(method, params, g.id(), signKeys, opts);
  const { step, res } = await g.request(label, g.conns[connLabel], frame, expect, opts.extra || {});
  await g.balances(step, opts.sid ?? params.app_session_id ?? res?.[2]?.app_session_id, expect.balances);
  return { step, res, sid: res?.[2]?.app_session_id };
}

async function readReq(g, label, connLabel, frame, expect = {}, extra = {}) {
  return g.request(label, g.conns[connLabel], frame, expect, extra);
}

const alloc = (label, amount, asset = 'usdc') => ({ participant: ADDR[label], asset, amount });

// ---------------------------------------------------------------------------------------------
// scenario groups

const groups = [];

groups.push(['wire', 100, 'First frames, public methods, an unauthenticated private call, authentication', async (g) => {
  await g.setup([]);
  await g.connect('W13', KEYS.W13);
  {
    const frames = g.record.connect_frames.W13;
    const r = parseRes(frames[0] ?? '');
    g.record.steps.push({ label: 'connect: frames before any request', received: frames, checks: [
      check('first frame', 'assets (id 0)', r ? `${r[1]} (id ${r[0]})` : frames[0], r?.[1] === 'assets' && r?.[0] === 0),
      check('frame count before any request', 1, frames.length, frames.length === 1),
    ] });
  }
  {
    const { step, res } = await readReq(g, 'ping', 'W13', await createPingMessage(null, g.id(), Date.now()));
    step.checks.push(check('ping result', { method: 'pong', params: null }, { method: res?.[1], params: res?.[2] }, res?.[1] === 'pong' && res?.[2] === null));
  }
  {
    const { step, res } = await readReq(g, 'get_config', 'W13', await createGetConfigMessage(null, g.id(), Date.now()));
    const want = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
    step.checks.push(check('broker_address', want, res?.[2]?.broker_address, res?.[2]?.broker_address === want));
  }
  {
    // auth_request without `address`: accepted; auth_verify then fails EIP-712 hashing (AUTH-7 step 2).
    const { res } = await readReq(g, 'auth_request without address', 'W13', await createAuthRequestMessage(
      { session_key: privateKeyToAccount(sessionKeyOf(KEYS.W13)).address, application: 'clearnode', allowances: [], expires_at: Math.floor(Date.now() / 1000) + 3600, scope: 'console' }, g.id(), Date.now()));
    const walletClient = createWalletClient({ account: privateKeyToAccount(KEYS.W13), transport: custom({ async request() { throw new Error('no RPC'); } }) });
    const eip712 = createEIP712AuthMessageSigner(walletClient, { scope: 'console', session_key: privateKeyToAccount(sessionKeyOf(KEYS.W13)).address, expires_at: 1n, allowances: [] }, { name: 'clearnode' });
    await readReq(g, 'auth_verify after an auth_request without address', 'W13',
      await createAuthVerifyMessageFromChallenge(eip712, res?.[2]?.challenge_message, g.id(), Date.now()), { error: 'invalid signature', notifs: { W13: [] } });
  }
  await readReq(g, 'get_ledger_balances before auth', 'W13',
    await createGetLedgerBalancesMessage(signer(KEYS.W13), undefined, g.id(), Date.now()),
    { error: 'authentication required', notifs: { W13: [] } });
  await g.auth('W13', KEYS.W13);
  {
    const { step, res } = await readReq(g, 'get_ledger_balances after auth, never funded', 'W13',
      await createGetLedgerBalancesMessage(signer(KEYS.W13), undefined, g.id(), Date.now()), { notifs: { W13: [] } });
    step.checks.push(check('result', { ledger_balances: [] }, res?.[2], JSON.stringify(res?.[2]) === '{"ledger_balances":[]}'));
  }
  await readReq(g, 'get_app_definition unknown id', 'W13',
    await createGetAppDefinitionMessage(null, '0x' + '00'.repeat(32), g.id(), Date.now()),
    { error: 'failed to get application session' });
}]);

groups.push(['worked-15', 1000, 'app-sessions.md §15: A = Hardhat #0, B = Hardhat #1, unified usdc 1000 each, caller A', async (g) => {
  await g.setup([['HH0', 'usdc', '1000'], ['HH1', 'usdc', '1000']]);
  // The connection labels are A and B; ADDR lookups use the key names.
  await g.connect('HH0', KEYS.HH0); await g.connect('HH1', KEYS.HH1);
  await g.auth('HH0', KEYS.HH0); await g.auth('HH1', KEYS.HH1);
  const A = 'HH0', B = 'HH1', AB = [KEYS.HH0, KEYS.HH1];
  const def = { application: 'chess', protocol: 'NitroRPC/0.4', participants: [ADDR[A], ADDR[B]], weights: [50, 50], quorum: 100, challenge: 86400, nonce: 1 };
  const bal = (ua, ub, sa, sb) => ({ unified: { [A]: ua, [B]: ub }, session: { [A]: sa, [B]: sb } });
  const r1 = await appReq(g, '15.1 create [A 100, B 50] (A,B)', A, 'create_app_session',
    { definition: def, allocations: [alloc(A, '100'), alloc(B, '50')] }, AB,
    { ok: true, version: 1, status: 'open', app_session_id: '0x4b1e7acde82b2f2b1f2f0d8747f9ccecfe54843aff583beaaf14f0d3ef5d603d',
      notifs: { [A]: ['bu', 'bu'], [B]: ['bu'] }, balances: bal('900', '950', '100', '50') });
  const sid = r1.sid;
  await readReq(g, '15.1a get_app_definition', A, await createGetAppDefinitionMessage(null, sid, g.id(), Date.now()));
  const sub = (version, intent, rows) => ({ app_session_id: sid, intent, version, allocations: rows });
  await appReq(g, '15.2 operate v2 [A 30, B 120] (A only)', A, 'submit_app_state', sub(2, 'operate', [alloc(A, '30'), alloc(B, '120')]), [KEYS.HH0],
    { error: 'incorrect submit_state request: quorum not reached: 50 / 100', notifs: { [A]: ['bu'], [B]: [] }, balances: bal('900', '950', '100', '50') });
  await appReq(g, '15.3 operate v3 [A 30, B 120] (A,B)', A, 'submit_app_state', sub(3, 'operate', [alloc(A, '30'), alloc(B, '120')]), AB,
    { error: 'incorrect app state: incorrect version: expected 2, got 3', notifs: { [A]: ['bu'], [B]: [] }, balances: bal('900', '950', '100', '50') });
  await appReq(g, '15.4 operate v2 [A 30, B 120] (A,B)', A, 'submit_app_state', sub(2, 'operate', [alloc(A, '30'), alloc(B, '120')]), AB,
    { ok: true, version: 2, status: 'open', notifs: { [A]: ['asu', 'bu'], [B]: ['asu'] }, balances: bal('900', '950', '30', '120') });
  await appReq(g, '15.5 deposit v3 [A 80, B 120] (B only)', A, 'submit_app_state', sub(3, 'deposit', [alloc(A, '80'), alloc(B, '120')]), [KEYS.HH1],
    { error: 'incorrect deposit request: quorum not reached: 50 / 100', notifs: { [A]: ['bu'], [B]: [] }, balances: bal('900', '950', '30', '120') });
  await appReq(g, '15.6 deposit v3 [A 80, B 120] (A,B)', A, 'submit_app_state', sub(3, 'deposit', [alloc(A, '80'), alloc(B, '120')]), AB,
    { ok: true, version: 3, status: 'open', notifs: { [A]: ['bu', 'asu', 'bu'], [B]: ['asu'] }, balances: bal('850', '950', '80', '120') });
  await appReq(g, '15.7 withdraw v4 [A 80, B 20] (A,B)', A, 'submit_app_state', sub(4, 'withdraw', [alloc(A, '80'), alloc(B, '20')]), AB,
    { ok: true, version: 4, status: 'open', notifs: { [A]: ['asu', 'bu'], [B]: ['bu', 'asu'] }, balances: bal('850', '1050', '80', '20') });
  await appReq(g, '15.8 close [A 60, B 41] (A,B)', A, 'close_app_session', { app_session_id: sid, allocations: [alloc(A, '60'), alloc(B, '41')] }, AB,
    { error: 'asset usdc not fully redistributed', notifs: { [A]: ['bu'], [B]: [] }, balances: bal('850', '1050', '80', '20') });
  await appReq(g, '15.9 close [A 60, B 40] (A,B)', A, 'close_app_session', { app_session_id: sid, allocations: [alloc(A, '60'), alloc(B, '40')] }, AB,
    { ok: true, version: 5, status: 'closed', notifs: { [A]: ['bu', 'bu'], [B]: ['bu'] }, balances: bal('910', '1090', '0', '0') });
  await appReq(g, '15.10 operate v6 [A 60, B 40] (A,B) on the closed session', A, 'submit_app_state', sub(6, 'operate', [alloc(A, '60'), alloc(B, '40')]), AB,
    { error: 'an open app session not found: record not found', notifs: { [A]: ['bu'], [B]: [] }, balances: bal('910', '1090', '0', '0') });
  await readReq(g, '15.11 get_app_sessions participant A', A, await createGetAppSessionsMessage(null, ADDR[A], undefined, g.id(), Date.now()));
}]);

function quirkDef(nonce, extra = {}) {
  return { application: 'nitrocert-quirks', protocol: 'NitroRPC/0.4', participants: [ADDR.W11, ADDR.W12], weights: [50, 50], quorum: 100, challenge: 0, nonce, ...extra };
}

groups.push(['quirks', 2000, 'Quirk vectors of app-sessions.md §14 and §15; A = 0x…11, B = 0x…12, unified usdc 1000 each, caller A', async (g) => {
  await g.setup([['W11', 'usdc', '1000'], ['W12', 'usdc', '1000']]);
  await g.connect('W11', KEYS.W11); await g.connect('W12', KEYS.W12);
  await g.auth('W11', KEYS.W11); await g.auth('W12', KEYS.W12);
  const A = 'W11', B = 'W12', AB = [KEYS.W11, KEYS.W12];
  const bal = (ua, ub, sa, sb) => ({ unified: { [A]: ua, [B]: ub }, session: { [A]: sa, [B]: sb } });
  const create5050 = async (nonce, ua, ub) => {
    const def = quirkDef(nonce);
    return appReq(g, `create nonce ${nonce} [A 50, B 50] (A,B)`, A, 'create_app_session',
      { definition: def, allocations: [alloc(A, '50'), alloc(B, '50')] }, AB,
      { ok: true, version: 1, status: 'open', app_session_id: predictedSessionId(def), notifs: { [A]: ['bu', 'bu'], [B]: ['bu'] }, balances: bal(ua, ub, '50', '50') });
  };
  //
  let s = (await create5050(101, '950', '950')).sid;
  await appReq(g, 'Q-1 operate v2 [A 100] from A 50 / B 50', A, 'submit_app_state',
    { app_session_id: s, intent: 'operate', version: 2, allocations: [alloc(A, '100')] }, AB,
    { ok: true, version: 2, status: 'open', notifs: { [A]: ['asu', 'bu'], [B]: ['asu'] }, balances: bal('950', '950', '100', '50') });
  //
  s = (await create5050(102, '900', '900')).sid;
  await appReq(g, 'Q-2 operate v2 [A 60, A 40] from A 50 / B 50', A, 'submit_app_state',
    { app_session_id: s, intent: 'operate', version: 2, allocations: [alloc(A, '60'), alloc(A, '40')] }, AB,
    { ok: true, version: 2, status: 'open', notifs: { [A]: ['asu', 'bu'], [B]: ['asu'] }, balances: bal('900', '900', '40', '50') });
  //
  s = (await create5050(103, '850', '850')).sid;
  await appReq(g, 'Q-3 close [A 100] from A 50 / B 50', A, 'close_app_session',
    { app_session_id: s, allocations: [alloc(A, '100')] }, AB,
    { ok: true, version: 2, status: 'closed', notifs: { [A]: ['bu', 'bu'], [B]: [] }, balances: bal('950', '850', '0', '50') });
  // Q-8 and its follow-up Q-21
  let def = quirkDef(108);
  s = (await appReq(g, 'create nonce 108 [A 100] (A)', A, 'create_app_session', { definition: def, allocations: [alloc(A, '100')] }, [KEYS.W11],
    { ok: true, version: 1, status: 'open', app_session_id: predictedSessionId(def), notifs: { [A]: ['bu', 'bu'], [B]: [] }, balances: bal('850', '850', '100', '(empty list)') })).sid;
  await appReq(g, 'Q-8 withdraw v2 [A 0, A 0] from A 100', A, 'submit_app_state',
    { app_session_id: s, intent: 'withdraw', version: 2, allocations: [alloc(A, '0'), alloc(A, '0')] }, AB,
    { ok: true, version: 2, status: 'open', notifs: { [A]: ['bu', 'asu', 'bu'], [B]: ['asu'] }, balances: bal('1050', '850', '-100', '(empty list)') });
  await appReq(g, 'Q-21 deposit v3 [A -50] after Q-8 (C = -100)', A, 'submit_app_state',
    { app_session_id: s, intent: 'deposit', version: 3, allocations: [alloc(A, '-50')] }, AB,
    { error: 'negative allocation: -50 for asset usdc', notifs: { [A]: ['bu'], [B]: [] }, balances: bal('1050', '850', '-100', '(empty list)') });
  //
  def = quirkDef(109);
  s = (await appReq(g, 'create nonce 109 [A 100] (A)', A, 'create_app_session', { definition: def, allocations: [alloc(A, '100')] }, [KEYS.W11],
    { ok: true, version: 1, status: 'open', app_session_id: predictedSessionId(def), notifs: { [A]: ['bu', 'bu'], [B]: [] }, balances: bal('950', '850', '100', '(empty list)') })).sid;
  await appReq(g, 'Q-9 deposit v2 [A 150, A 150] from A 100', A, 'submit_app_state',
    { app_session_id: s, intent: 'deposit', version: 2, allocations: [alloc(A, '150'), alloc(A, '150')] }, AB,
    { ok: true, version: 2, status: 'open', notifs: { [A]: ['bu', 'asu', 'bu'], [B]: ['asu'] }, balances: bal('850', '850', '200', '(empty list)') });
  // quorum 0 stored as 100; weights [1,1] make the session unusable
  def = quirkDef(105, { weights: [1, 1], quorum: 0 });
  s = (await appReq(g, 'Q-5 create weights [1,1] quorum 0, no allocations (A,B)', A, 'create_app_session', { definition: def, allocations: [] }, AB,
    { ok: true, version: 1, status: 'open', app_session_id: predictedSessionId(def), notifs: { [A]: ['bu'], [B]: [] } })).sid;
  {
    const { step, res } = await readReq(g, 'Q-5 get_app_definition', A, await createGetAppDefinitionMessage(null, s, g.id(), Date.now()));
    step.checks.push(check('stored quorum', 100, res?.[2]?.quorum, res?.[2]?.quorum === 100));
    step.checks.push(check('application (Q-13)', '', res?.[2]?.application, res?.[2]?.application === ''));
  }
  {
    const { step, res } = await readReq(g, 'Q-5 get_app_sessions participant A', A, await createGetAppSessionsMessage(null, ADDR[A], undefined, g.id(), Date.now()));
    const row = res?.[2]?.app_sessions?.find((x) => x.app_session_id === s);
    step.checks.push(check('stored quorum in get_app_sessions', 100, row?.quorum, row?.quorum === 100));
  }
  await appReq(g, 'Q-5 operate v2 [] (A,B) on the quorum-0 session', A, 'submit_app_state',
    { app_session_id: s, intent: 'operate', version: 2, allocations: [] }, AB,
    { error: 'incorrect submit_state request: quorum not reached: 2 / 100', notifs: { [A]: ['bu'], [B]: [] } });
  //
  def = quirkDef(106);
  await appReq(g, 'Q-6 create [A 0, B 0] with no signatures', A, 'create_app_session', { definition: def, allocations: [alloc(A, '0'), alloc(B, '0')] }, [],
    { ok: true, version: 1, status: 'open', app_session_id: predictedSessionId(def), notifs: { [A]: ['bu'], [B]: [] } }, { noSig: true });
  def = quirkDef(107);
  await appReq(g, 'Q-6b create with allocations [] and no signatures', A, 'create_app_session', { definition: def, allocations: [] }, [],
    { ok: true, version: 1, status: 'open', app_session_id: predictedSessionId(def), notifs: { [A]: ['bu'], [B]: [] } }, { noSig: true });
  // Q-11, then on the same session
  s = (await create5050(111, '800', '800')).sid;
  await appReq(g, 'Q-11 close [A 50, B 50] signed by A only', A, 'close_app_session',
    { app_session_id: s, allocations: [alloc(A, '50'), alloc(B, '50')] }, [KEYS.W11],
    { error: 'incorrect submit_state request: quorum not reached: 50 / 100', notifs: { [A]: ['bu'], [B]: [] }, balances: bal('800', '800', '50', '50') });
  await appReq(g, 'Q-18 submit v2 with no intent (0.4) [A 40, B 60] (A,B)', A, 'submit_app_state',
    { app_session_id: s, version: 2, allocations: [alloc(A, '40'), alloc(B, '60')] }, AB,
    { ok: true, version: 2, status: 'open', notifs: { [A]: ['asu', 'bu'], [B]: ['asu'] }, balances: bal('800', '800', '40', '60') });
  await appReq(g, 'Q-19 submit v5 with no signatures (version probe)', A, 'submit_app_state',
    { app_session_id: s, intent: 'operate', version: 5, allocations: [alloc(A, '40'), alloc(B, '60')] }, [],
    { error: 'incorrect app state: incorrect version: expected 3, got 5', notifs: { [A]: ['bu'], [B]: [] } }, { noSig: true });
}]);

const CHESS = JSON.stringify({ gameType: 'chess', gameState: 'waiting' });
function intDef(nonce, protocol = 'NitroRPC/0.4', extra = {}) {
  return { application: 'nitrocert-integration', protocol, participants: [ADDR.W11, ADDR.W12], weights: [100, 0], quorum: 100, challenge: 0, nonce, ...extra };
}

groups.push(['integration-errors', 3000, "Clearnode's integration error cases (runbook list) and create-time errors; Alice = 0x…11 (weight 100), Bob = 0x…12 (weight 0), unified usdc 1000 each", async (g) => {
  await g.setup([['W11', 'usdc', '1000'], ['W12', 'usdc', '1000']]);
  await g.connect('W11', KEYS.W11); await g.connect('W12', KEYS.W12);
  await g.auth('W11', KEYS.W11); await g.auth('W12', KEYS.W12);
  const A = 'W11', B = 'W12', KA = [KEYS.W11], KB = [KEYS.W12];
  const bal = (ua, ub, sa, sb) => ({ unified: { [A]: ua, [B]: ub }, session: { [A]: sa, [B]: sb } });
  const fail = { notifs: { [A]: ['bu'], [B]: [] } };
  let def = intDef(301);
  const s = (await appReq(g, 'create 0.4 [Alice 100, Bob 0] session_data chess (Alice)', A, 'create_app_session',
    { definition: def, allocations: [alloc(A, '100'), alloc(B, '0')], session_data: CHESS }, KA,
    { ok: true, version: 1, status: 'open', app_session_id: predictedSessionId(def), notifs: { [A]: ['bu', 'bu'], [B]: [] }, balances: bal('900', '1000', '100', '(empty list)') })).sid;
  const sub = (intent, version, rows, data) => ({ app_session_id: s, ...(intent !== undefined ? { intent } : {}), ...(version !== undefined ? { version } : {}), allocations: rows, ...(data !== undefined ? { session_data: data } : {}) });
  const NEWDATA = JSON.stringify({ gameType: 'chess', gameState: 'playing' });
  await appReq(g, 'IT-3 operate version 43', A, 'submit_app_state', sub('operate', 43, [alloc(A, '100'), alloc(B, '0')], NEWDATA), KA,
    { error: 'incorrect app state: incorrect version: expected 2, got 43', ...fail });
  await appReq(g, 'IT-4 operate v2 [Alice 110, Bob 0]', A, 'submit_app_state', sub('operate', 2, [alloc(A, '110'), alloc(B, '0')], NEWDATA), KA,
    { error: 'incorrect operate request: non-zero allocations sum delta: asset usdc not fully redistributed', ...fail });
  await appReq(g, 'IT-5 operate v2 [Alice 90, Bob 0]', A, 'submit_app_state', sub('operate', 2, [alloc(A, '90'), alloc(B, '0')], NEWDATA), KA,
    { error: 'incorrect operate request: non-zero allocations sum delta: asset usdc not fully redistributed', ...fail });
  {
    const { step, res } = await readReq(g, 'IT-3/4/5 session_data unchanged (get_app_sessions)', A, await createGetAppSessionsMessage(null, ADDR[A], undefined, g.id(), Date.now()));
    const row = res?.[2]?.app_sessions?.find((x) => x.app_session_id === s);
    step.checks.push(check('session_data', CHESS, row?.session_data, row?.session_data === CHESS));
  }
  await appReq(g, 'IT-6 deposit v2 unchanged [Alice 100, Bob 0]', A, 'submit_app_state', sub('deposit', 2, [alloc(A, '100'), alloc(B, '0')]), KA,
    { error: 'incorrect deposit request: non-positive allocations sum delta', ...fail });
  await appReq(g, 'IT-7 deposit v2 [Alice 90, Bob 0]', A, 'submit_app_state', sub('deposit', 2, [alloc(A, '90'), alloc(B, '0')]), KA,
    { error: `incorrect deposit request: decreased allocation for participant ${ADDR[A]}`, ...fail });
  await appReq(g, 'IT-8 deposit v2 [Alice 120, Bob -10]', A, 'submit_app_state', sub('deposit', 2, [alloc(A, '120'), alloc(B, '-10')]), KA,
    { error: `incorrect deposit request: decreased allocation for participant ${ADDR[B]}`, ...fail });
  await appReq(g, 'IT-9 deposit v2 [Alice 10000, Bob 0]', A, 'submit_app_state', sub('deposit', 2, [alloc(A, '10000'), alloc(B, '0')]), KA,
    { error: 'incorrect deposit request: insufficient unified balance', ...fail });
  await appReq(g, 'IT-11 deposit v2 [Alice 100, Bob 10] signed by Alice only', A, 'submit_app_state', sub('deposit', 2, [alloc(A, '100'), alloc(B, '10')]), KA,
    { error: 'incorrect deposit request: depositor signature is required', ...fail });
  await appReq(g, 'IT-12 deposit v2 [Alice 100, Bob 10] signed by Bob only (weight 0)', A, 'submit_app_state', sub('deposit', 2, [alloc(A, '100'), alloc(B, '10')]), KB,
    { error: 'incorrect deposit request: quorum not reached: 0 / 100', ...fail });
  await appReq(g, 'IT-13 withdraw v2 unchanged [Alice 100, Bob 0]', A, 'submit_app_state', sub('withdraw', 2, [alloc(A, '100'), alloc(B, '0')]), KA,
    { error: 'incorrect withdrawal request: non-negative allocations sum delta', ...fail });
  await appReq(g, 'IT-14 withdraw v2 [Alice 110, Bob 0]', A, 'submit_app_state', sub('withdraw', 2, [alloc(A, '110'), alloc(B, '0')]), KA,
    { error: `incorrect withdrawal request: increased allocation for participant ${ADDR[A]}`, ...fail });
  await appReq(g, 'IT-15 withdraw v2 [Alice 110, Bob -20]', A, 'submit_app_state', sub('withdraw', 2, [alloc(A, '110'), alloc(B, '-20')]), KA,
    { error: `incorrect withdrawal request: increased allocation for participant ${ADDR[A]}`, ...fail });
  await appReq(g, 'E21 unknown intent "foo" v2', A, 'submit_app_state', sub('foo', 2, [alloc(A, '100'), alloc(B, '0')]), KA,
    { error: 'incorrect app state: unsupported intent: foo', ...fail });
  await appReq(g, 'E32 close with allocations []', A, 'close_app_session', { app_session_id: s, allocations: [] }, KA,
    { error: 'missing required parameters: app_id or allocations', ...fail });
  await appReq(g, 'IT-17a operate v2 [Alice 50, Bob 50] (Alice)', A, 'submit_app_state', sub('operate', 2, [alloc(A, '50'), alloc(B, '50')], NEWDATA), KA,
    { ok: true, version: 2, status: 'open', notifs: { [A]: ['asu', 'bu'], [B]: ['asu'] }, balances: bal('900', '1000', '50', '50') });
  await appReq(g, 'IT-17b withdraw v3 [Alice 50, Bob 10] signed by Bob only', A, 'submit_app_state', sub('withdraw', 3, [alloc(A, '50'), alloc(B, '10')], CHESS), KB,
    { error: 'incorrect withdrawal request: quorum not reached: 0 / 100', ...fail, balances: bal('900', '1000', '50', '50') });
  {
    const { step, res } = await readReq(g, 'IT-17 session_data stays at its v2 value', A, await createGetAppSessionsMessage(null, ADDR[A], undefined, g.id(), Date.now()));
    const row = res?.[2]?.app_sessions?.find((x) => x.app_session_id === s);
    step.checks.push(check('session_data', NEWDATA, row?.session_data, row?.session_data === NEWDATA));
    step.checks.push(check('version', 2, row?.version, row?.version === 2));
  }
  // NitroRPC/0.2 session
  def = intDef(302, 'NitroRPC/0.2');
  const s2 = (await appReq(g, 'create 0.2 [Alice 100, Bob 0] (Alice)', A, 'create_app_session',
    { definition: def, allocations: [alloc(A, '100'), alloc(B, '0')], session_data: CHESS }, KA,
    { ok: true, version: 1, status: 'open', app_session_id: predictedSessionId(def), notifs: { [A]: ['bu', 'bu'], [B]: [] }, balances: bal('800', '1000', '100', '(empty list)') })).sid;
  const sub2 = (intent, version, rows) => ({ app_session_id: s2, ...(intent !== undefined ? { intent } : {}), ...(version !== undefined ? { version } : {}), allocations: rows });
  const E17 = 'incorrect request: specified parameters are not supported in this protocol';
  await appReq(g, 'IT-10 deposit into a 0.2 session (intent deposit, version 2)', A, 'submit_app_state', sub2('deposit', 2, [alloc(A, '110'), alloc(B, '0')]), KA, { error: E17, ...fail });
  await appReq(g, 'IT-16 withdraw on a 0.2 session (intent withdraw, version 2)', A, 'submit_app_state', sub2('withdraw', 2, [alloc(A, '90'), alloc(B, '0')]), KA, { error: E17, ...fail });
  await appReq(g, '0.2 submit with intent "operate" and no version', A, 'submit_app_state', sub2('operate', undefined, [alloc(A, '50'), alloc(B, '50')]), KA, { error: E17, ...fail });
  await appReq(g, '0.2 submit with version 2 and no intent', A, 'submit_app_state', sub2(undefined, 2, [alloc(A, '50'), alloc(B, '50')]), KA, { error: E17, ...fail });
  // create-time errors (AS-DEF-3, AS-CREATE-1, AS-ID-3)
  const c = (label, d, rows, keys, err) => appReq(g, label, A, 'create_app_session', { definition: d, allocations: rows }, keys, { error: err, ...fail }, { sid: null });
  await c('E4 create protocol NitroRPC/0.3', intDef(311, 'NitroRPC/0.3'), [], KA, 'unsupported protocol: NitroRPC/0.3');
  await c('E5 create with one participant', intDef(312, 'NitroRPC/0.4', { participants: [ADDR.W11], weights: [100] }), [], KA, 'invalid number of participants');
  await c('E6 create with 3 weights for 2 participants', intDef(313, 'NitroRPC/0.4', { weights: [100, 0, 0] }), [], KA, 'number of weights must be equal to participants');
  await c('E7 create with nonce 0', intDef(0), [], KA, 'nonce is zero or not provided');
  await c('E8 create with weight -1', intDef(314, 'NitroRPC/0.4', { weights: [100, -1] }), [], KA, `participant ${ADDR.W12} weight cannot be negative`);
  await c('E9 create with quorum 300 > 100', intDef(315, 'NitroRPC/0.4', { quorum: 300 }), [], KA, 'target quorum (300) cannot be greater than total sum of weights (100)');
  await c('E10 create [Alice -5]', intDef(316), [alloc(A, '-5')], KA, 'negative allocation: -5 for asset usdc');
  await c('E11 create [Bob 10] signed by Alice', intDef(317), [alloc(B, '10')], KA, `missing signature for participant ${ADDR.W12}`);
  await c('E14 create [Alice 100000]', intDef(318), [alloc(A, '100000')], KA, `insufficient funds: ${ADDR.W11} for asset usdc`);
  await c('E15 create the NitroRPC/0.4 definition of nonce 301 again', intDef(301), [alloc(A, '1')], KA, 'failed to create application session');
  await appReq(g, 'balances after the create errors (no change expected)', A, 'submit_app_state', sub('operate', 99, [alloc(A, '50'), alloc(B, '50')]), KA,
    { error: 'incorrect app state: incorrect version: expected 3, got 99', ...fail, balances: bal('800', '1000', '50', '50') });
}]);

groups.push(['lifecycle-0.4', 4000, 'Runbook NitroRPC/0.4 lifecycle (application clearnode); Alice = 0x…11 (weight 100), Bob = 0x…12 (weight 0), 1000 each', async (g) => {
  await g.setup([['W11', 'usdc', '1000'], ['W12', 'usdc', '1000']]);
  await g.connect('W11', KEYS.W11); await g.connect('W12', KEYS.W12);
  await g.auth('W11', KEYS.W11); await g.auth('W12', KEYS.W12);
  const A = 'W11', B = 'W12', KA = [KEYS.W11];
  const bal = (ua, ub, sa, sb) => ({ unified: { [A]: ua, [B]: ub }, session: { [A]: sa, [B]: sb } });
  const def = { application: 'clearnode', protocol: 'NitroRPC/0.4', participants: [ADDR[A], ADDR[B]], weights: [100, 0], quorum: 100, challenge: 0, nonce: 401 };
  const s = (await appReq(g, 'L4.1 create [Alice 100, Bob 0]', A, 'create_app_session',
    { definition: def, allocations: [alloc(A, '100'), alloc(B, '0')], session_data: CHESS }, KA,
    { ok: true, version: 1, status: 'open', app_session_id: predictedSessionId(def), notifs: { [A]: ['bu', 'bu'], [B]: [] }, balances: bal('900', '1000', '100', '(empty list)') })).sid;
  const d2 = JSON.stringify({ gameType: 'chess', gameState: 'playing', move: 1 });
  await appReq(g, 'L4.2 operate v2 [75, 25]', A, 'submit_app_state', { app_session_id: s, intent: 'operate', version: 2, allocations: [alloc(A, '75'), alloc(B, '25')], session_data: d2 }, KA,
    { ok: true, version: 2, status: 'open', notifs: { [A]: ['asu', 'bu'], [B]: ['asu'] }, balances: bal('900', '1000', '75', '25') });
  {
    const { step, res } = await readReq(g, 'L4.2a get_app_sessions shows the new session_data', A, await createGetAppSessionsMessage(null, ADDR[A], undefined, g.id(), Date.now()));
    const row = res?.[2]?.app_sessions?.find((x) => x.app_session_id === s);
    step.checks.push(check('session_data', d2, row?.session_data, row?.session_data === d2));
  }
  await appReq(g, 'L4.3 operate v3 [50, 50]', A, 'submit_app_state', { app_session_id: s, intent: 'operate', version: 3, allocations: [alloc(A, '50'), alloc(B, '50')] }, KA,
    { ok: true, version: 3, status: 'open', notifs: { [A]: ['asu', 'bu'], [B]: ['asu'] }, balances: bal('900', '1000', '50', '50') });
  await appReq(g, 'L4.4 deposit v4 Alice +50 -> [100, 50]', A, 'submit_app_state', { app_session_id: s, intent: 'deposit', version: 4, allocations: [alloc(A, '100'), alloc(B, '50')] }, KA,
    { ok: true, version: 4, status: 'open', notifs: { [A]: ['bu', 'asu', 'bu'], [B]: ['asu'] }, balances: bal('850', '1000', '100', '50') });
  await appReq(g, 'L4.5 withdraw v5 Alice -25 -> [75, 50]', A, 'submit_app_state', { app_session_id: s, intent: 'withdraw', version: 5, allocations: [alloc(A, '75'), alloc(B, '50')] }, KA,
    { ok: true, version: 5, status: 'open', notifs: { [A]: ['bu', 'asu', 'bu'], [B]: ['asu'] }, balances: bal('875', '1000', '75', '50') });
  await appReq(g, 'L4.6 close [Alice 0, Bob 125]', A, 'close_app_session', { app_session_id: s, allocations: [alloc(A, '0'), alloc(B, '125')] }, KA,
    { ok: true, version: 6, status: 'closed', notifs: { [A]: ['bu'], [B]: ['bu'] }, balances: bal('875', '1125', '0', '0') });
}]);

groups.push(['lifecycle-0.2', 5000, 'Runbook NitroRPC/0.2 lifecycle; Alice = 0x…11 (weight 100), Bob = 0x…12 (weight 0), 1000 each', async (g) => {
  await g.setup([['W11', 'usdc', '1000'], ['W12', 'usdc', '1000']]);
  await g.connect('W11', KEYS.W11); await g.connect('W12', KEYS.W12);
  await g.auth('W11', KEYS.W11); await g.auth('W12', KEYS.W12);
  const A = 'W11', B = 'W12', KA = [KEYS.W11];
  const bal = (ua, ub, sa, sb) => ({ unified: { [A]: ua, [B]: ub }, session: { [A]: sa, [B]: sb } });
  const def = { application: 'clearnode', protocol: 'NitroRPC/0.2', participants: [ADDR[A], ADDR[B]], weights: [100, 0], quorum: 100, challenge: 0, nonce: 501 };
  const s = (await appReq(g, 'L2.1 create 0.2 [Alice 100, Bob 0]', A, 'create_app_session',
    { definition: def, allocations: [alloc(A, '100'), alloc(B, '0')], session_data: CHESS }, KA,
    { ok: true, version: 1, status: 'open', app_session_id: predictedSessionId(def), notifs: { [A]: ['bu', 'bu'], [B]: [] }, balances: bal('900', '1000', '100', '(empty list)') })).sid;
  await appReq(g, 'L2.2 submit (no intent, no version) [50, 50]', A, 'submit_app_state', { app_session_id: s, allocations: [alloc(A, '50'), alloc(B, '50')] }, KA,
    { ok: true, version: 2, status: 'open', notifs: { [A]: ['asu', 'bu'], [B]: ['asu'] }, balances: bal('900', '1000', '50', '50') });
  await appReq(g, 'L2.3 close [Alice 0, Bob 100]', A, 'close_app_session', { app_session_id: s, allocations: [alloc(A, '0'), alloc(B, '100')] }, KA,
    { ok: true, version: 3, status: 'closed', notifs: { [A]: ['bu'], [B]: ['bu'] }, balances: bal('900', '1100', '0', '0') });
}]);

groups.push(['channel-guard', 6000, 'Runbook integration cases 1 and the 0.2 variant: Alice (0x…11) has an open channel with raw_amount 1 (channel.sh)', async (g) => {
  await g.setup([['W11', 'usdc', '1000'], ['W12', 'usdc', '1000']], [['W11', 'open', '1']]);
  await g.connect('W11', KEYS.W11); await g.connect('W12', KEYS.W12);
  await g.auth('W11', KEYS.W11); await g.auth('W12', KEYS.W12);
  const A = 'W11', B = 'W12', KA = [KEYS.W11];
  const err = `operation denied: non-zero allocation in 1 channel(s) detected owned by wallet ${ADDR[A]}`;
  const bal = (ua, ub) => ({ unified: { [A]: ua, [B]: ub } });
  await appReq(g, 'IT-1 create 0.4 [Alice 100, Bob 0] with a funded open channel', A, 'create_app_session',
    { definition: intDef(601), allocations: [alloc(A, '100'), alloc(B, '0')], session_data: CHESS }, KA,
    { error: err, notifs: { [A]: ['bu'], [B]: [] }, balances: bal('1000', '1000') }, { sid: null });
  await appReq(g, '0.2 create [Alice 100, Bob 0] with a funded open channel', A, 'create_app_session',
    { definition: intDef(602, 'NitroRPC/0.2'), allocations: [alloc(A, '100'), alloc(B, '0')] }, KA,
    { error: err, notifs: { [A]: ['bu'], [B]: [] }, balances: bal('1000', '1000') }, { sid: null });
  await appReq(g, 'create 0.4 with zero allocations is not guarded', A, 'create_app_session',
    { definition: intDef(603), allocations: [alloc(A, '0'), alloc(B, '0')] }, KA,
    { ok: true, version: 1, status: 'open', app_session_id: predictedSessionId(intDef(603)), notifs: { [A]: ['bu'], [B]: [] }, balances: bal('1000', '1000') });
}]);

// ---------------------------------------------------------------------------------------------
// main

const transcript = {
  tool: 'nitrocert tests/sdk/probe-clearnode.mjs',
  sdk: '@erc7824/nitrolite 0.5.3 (viem 2.57.20, ws 8.23.0)',
  broker: 'clearnode v0.5.2 (adapters/clearnode), PostgreSQL, CLEARNODE_MODE=test, no blockchains',
  url: URL,
  started_at: new Date().toISOString(),
  notes: [
    'Request ids are fixed; ts and every broker timestamp, signature, challenge and JWT are live and differ run to run.',
    '"received" holds every frame on the requesting connection up to and including the response; "after_response" holds what arrived on each connection of the group within a short settle window afterwards.',
    'Balances are read with get_ledger_balances on each wallet\'s own connection: unified (no account_id) and, for app-session steps, account_id = the session (the caller\'s own share).',
    '"checks" compare with the predictions of shared/spec/app-sessions.md and runbook-clearnode.md; agree=false marks a disagreement.',
  ],
  wallets: ADDR,
  groups: [],
};

function save() {
  mkdirSync(path.dirname(OUT), { recursive: true });
  transcript.finished_at = new Date().toISOString();
  const all = transcript.groups.flatMap((g) => g.steps.flatMap((s) => s.checks.map((c) => ({ group: g.group, step: s.label, ...c }))));
  transcript.summary = {
    checks: all.length,
    agree: all.filter((c) => c.agree).length,
    disagreements: all.filter((c) => !c.agree),
    timeouts: transcript.groups.flatMap((g) => g.steps.filter((s) => s.timeout).map((s) => `${g.group}: ${s.label}`)),
  };
  writeFileSync(OUT, JSON.stringify(transcript, null, 1) + '\n');
  return transcript.summary;
}

const watchdog = setTimeout(() => {
  transcript.aborted = `watchdog: run exceeded ${WATCHDOG_MS} ms`;
  save();
  console.error(transcript.aborted);
  process.exit(2);
}, WATCHDOG_MS);

let failed = false;
for (const [name, base, description, fn] of groups) {
  if (ONLY && !ONLY.includes(name)) continue;
  const g = new Group(name, base, description);
  transcript.groups.push(g.record);
  const t0 = Date.now();
  try {
    await fn(g);
  } catch (e) {
    failed = true;
    g.record.error = String(e.stack || e);
    console.error(`group ${name}: ${e.stack || e}`);
  } finally {
    g.close();
  }
  g.record.duration_ms = Date.now() - t0;
  const cs = g.record.steps.flatMap((s) => s.checks);
  console.log(`${name}: ${g.record.steps.length} requests, ${cs.filter((c) => c.agree).length}/${cs.length} checks agree (${g.record.duration_ms} ms)`);
}
clearTimeout(watchdog);
await Promise.all(pendingSigChecks);
transcript.broker_signatures = rsig;
console.log(`broker signatures: ${rsig.ok}/${rsig.frames} frames verify against ${BROKER}`);
const summary = save();
for (const d of summary.disagreements) console.log(`DISAGREE ${d.group} | ${d.step} | ${d.what}: expected ${JSON.stringify(d.expected)} got ${JSON.stringify(d.actual)}`);
console.log(`${summary.agree}/${summary.checks} checks agree; transcript: ${OUT}`);
process.exit(failed ? 2 : 0);
