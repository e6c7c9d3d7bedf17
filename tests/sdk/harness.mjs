// Shared helpers for the SDK interoperability tests (interop.test.mjs, bytes.test.mjs):
// the nitrocert binary, the embedded broker as a child process, a WebSocket connection whose
// every read has a timeout, and the per-frame checks (official SDK parsers, broker signature).

import { spawn, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { keccak256, toHex, concat, recoverAddress } from 'viem';
import nitrolite from '@erc7824/nitrolite';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** The nitrocert binary: $NITROCERT_BIN, else ../../target/debug/nitrocert (relative to tests/sdk). */
export const NITROCERT_BIN = path.resolve(HERE, process.env.NITROCERT_BIN || '../../target/debug/nitrocert');

export function requireBinary() {
  if (!existsSync(NITROCERT_BIN)) {
    throw new Error(`nitrocert binary not found at ${NITROCERT_BIN}: run \`cargo build\` at the repository root or set NITROCERT_BIN`);
  }
}

/** Runs nitrocert synchronously; returns stdout (trailing newline removed). */
export function nitrocert(args, { input } = {}) {
  return execFileSync(NITROCERT_BIN, args, { encoding: 'utf8', input, timeout: 20000, stdio: ['pipe', 'pipe', 'pipe'] }).replace(/\n$/, '');
}

export const READ_TIMEOUT_MS = 5000;

// ---------------------------------------------------------------------------------------------
// deterministic test keys (never use them with real funds)

export const KEYS = {
  HH0: '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  HH1: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  W11: '0x0000000000000000000000000000000000000000000000000000000000000011',
  W12: '0x0000000000000000000000000000000000000000000000000000000000000012',
  W13: '0x0000000000000000000000000000000000000000000000000000000000000013',
};
/** A deterministic session key per wallet key and label. */
export const sessionKeyOf = (pk, label = 'nitrocert-session-key') => keccak256(concat([pk, toHex(label)]));

// ---------------------------------------------------------------------------------------------
// the embedded broker as a child process

/**
 * Starts `nitrocert serve --port 0 …`, resolves with {url, brokerAddress, child, stop} once the
 * first stdout line carries the ws:// URL. stdout and stderr keep being read (the pipe never
 * fills or closes while the broker runs).
 */
export function startBroker(args, { timeoutMs = 15000 } = {}) {
  requireBinary();
  const child = spawn(NITROCERT_BIN, ['serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  // Never leave the broker behind, even if the test process ends without running its hooks.
  const killOnExit = () => { try { child.kill('SIGKILL'); } catch { /* gone */ } };
  process.once('exit', killOnExit);
  const log = { stdout: '', stderr: '' };
  let exited = null;
  const exitPromise = new Promise((resolve) => child.on('exit', (code, signal) => { exited = { code, signal }; resolve(exited); }));
  const ready = new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`nitrocert serve printed no ws:// URL within ${timeoutMs} ms; stdout ${JSON.stringify(log.stdout)} stderr ${JSON.stringify(log.stderr)}`)), timeoutMs);
    let url = null;
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => { log.stderr += d; });
    child.stdout.on('data', (d) => {
      log.stdout += d;
      const lines = log.stdout.split('\n');
      if (url === null && lines.length > 1) {
        const m = /(ws:\/\/\S+)/.exec(lines[0]);
        if (!m) { clearTimeout(t); reject(new Error(`first stdout line has no ws:// URL: ${JSON.stringify(lines[0])}`)); return; }
        url = m[1];
      }
      const addrLine = lines.find((l) => /^broker address 0x[0-9a-fA-F]{40}$/.test(l));
      if (url !== null) {
        clearTimeout(t);
        resolve({ url, announcedBrokerAddress: addrLine ? addrLine.slice('broker address '.length) : null });
      }
    });
    child.on('error', (e) => { clearTimeout(t); reject(e); });
    exitPromise.then((x) => { clearTimeout(t); reject(new Error(`nitrocert serve exited early (${JSON.stringify(x)}): ${log.stderr}`)); });
  });
  return ready.then((info) => ({
    ...info,
    child,
    log,
    exited: () => exited,
    async stop() {
      if (exited) return exited;
      child.kill('SIGTERM');
      const t = setTimeout(() => { if (!exited) child.kill('SIGKILL'); }, 3000);
      const r = await exitPromise;
      clearTimeout(t);
      process.removeListener('exit', killOnExit);
      return r;
    },
  }));
}

// ---------------------------------------------------------------------------------------------
// frame checks

const { parseAnyRPCResponse } = nitrolite;

/** method → the SDK's typed parser for it (the SDK has one for every method the broker sends here). */
export const TYPED_PARSERS = {
  assets: nitrolite.parseAssetsResponse,
  auth_challenge: nitrolite.parseAuthChallengeResponse,
  auth_verify: nitrolite.parseAuthVerifyResponse,
  channels: nitrolite.parseChannelsUpdateResponse,
  cu: nitrolite.parseChannelUpdateResponse,
  bu: nitrolite.parseBalanceUpdateResponse,
  asu: nitrolite.parseAppSessionUpdateResponse,
  tr: nitrolite.parseTransferNotificationResponse,
  error: nitrolite.parseErrorResponse,
  pong: nitrolite.parsePongResponse,
  get_config: nitrolite.parseGetConfigResponse,
  get_assets: nitrolite.parseGetAssetsResponse,
  get_ledger_balances: nitrolite.parseGetLedgerBalancesResponse,
  get_ledger_entries: nitrolite.parseGetLedgerEntriesResponse,
  get_ledger_transactions: nitrolite.parseGetLedgerTransactionsResponse,
  get_app_sessions: nitrolite.parseGetAppSessionsResponse,
  get_app_definition: nitrolite.parseGetAppDefinitionResponse,
  get_session_keys: nitrolite.parseGetSessionKeysResponse,
  get_user_tag: nitrolite.parseGetUserTagResponse,
  create_app_session: nitrolite.parseCreateAppSessionResponse,
  submit_app_state: nitrolite.parseSubmitAppStateResponse,
  close_app_session: nitrolite.parseCloseAppSessionResponse,
  transfer: nitrolite.parseTransferResponse,
};

/** Raw `res` text and sig[0] of a broker frame, or throws when the envelope is not exactly {"res":…,"sig":["0x…"]}. */
export function splitBrokerFrame(text) {
  const m = /^\{"res":(.*),"sig":\["(0x[0-9a-fA-F]{130})"\]\}$/s.exec(text);
  if (!m) throw new Error('frame is not exactly {"res":[…],"sig":["0x" + 130 hex]}');
  return { resText: m[1], sig: m[2] };
}

/** Who signed the frame: recoverAddress(keccak256(raw res bytes), sig[0]). */
export async function brokerSigner(text) {
  const { resText, sig } = splitBrokerFrame(text);
  return recoverAddress({ hash: keccak256(toHex(resText)), signature: sig });
}

/**
 * Runs a frame through the SDK: parseAnyRPCResponse, then the typed parser of its method.
 * Returns {ok, method, parsed, error}.
 */
export function sdkParse(text) {
  let method = '?';
  try {
    method = JSON.parse(text)?.res?.[1] ?? '?';
  } catch { /* reported by the parser below */ }
  try {
    const any = parseAnyRPCResponse(text);
    const typed = TYPED_PARSERS[method];
    if (!typed) return { ok: false, method, error: `no typed SDK parser registered in harness.mjs for ${method}` };
    const parsed = typed(text);
    return { ok: true, method, parsed, any };
  } catch (e) {
    return { ok: false, method, error: String(e?.message || e) };
  }
}

// ---------------------------------------------------------------------------------------------
// a connection: every received frame is recorded (in `allFrames` too), every read has a timeout

export class Conn {
  /** Set when a request got no response in time: later requests fail at once instead of waiting again. */
  static unresponsive = null;

  constructor(label, url, allFrames) {
    this.label = label;
    this.url = url;
    this.allFrames = allFrames; // shared array of {conn, text, parse}
    this.queue = [];
    this.waiter = null;
    this.closed = false;
    this.nextId = 1;
  }

  open(timeoutMs = READ_TIMEOUT_MS) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url, { handshakeTimeout: timeoutMs });
      this.ws = ws;
      const t = setTimeout(() => reject(new Error(`${this.label}: connect timeout ${this.url}`)), timeoutMs + 500);
      ws.on('open', () => { clearTimeout(t); resolve(this); });
      ws.on('error', (e) => { clearTimeout(t); reject(e); });
      ws.on('close', () => {
        this.closed = true;
        if (this.waiter) { const w = this.waiter; this.waiter = null; w(null); }
      });
      ws.on('message', (data, isBinary) => {
        const text = isBinary ? `<binary ${data.length} bytes>` : data.toString('utf8');
        this.allFrames.push({ conn: this.label, text, parse: sdkParse(text) });
        if (this.waiter) { const w = this.waiter; this.waiter = null; w(text); } else this.queue.push(text);
      });
    });
  }

  /** The next frame; rejects after timeoutMs or when the socket closes. */
  next(timeoutMs = READ_TIMEOUT_MS) {
    if (this.queue.length) return Promise.resolve(this.queue.shift());
    if (this.closed) return Promise.reject(new Error(`${this.label}: connection closed`));
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => { this.waiter = null; reject(new Error(`${this.label}: no frame within ${timeoutMs} ms`)); }, timeoutMs);
      this.waiter = (v) => {
        clearTimeout(t);
        if (v === null) reject(new Error(`${this.label}: connection closed`)); else resolve(v);
      };
    });
  }

  /** Frames that arrive within quietMs of each other (bounded by maxMs); never throws. */
  async drain(quietMs = 150, maxMs = 1500) {
    const out = [];
    const end = Date.now() + maxMs;
    while (Date.now() < end) {
      try { out.push(await this.next(Math.min(quietMs, Math.max(1, end - Date.now())))); } catch { break; }
    }
    return out;
  }

  /** Reads until a frame of `method` arrives; returns {frame, res, skipped}. */
  async waitFor(method, timeoutMs = READ_TIMEOUT_MS) {
    const skipped = [];
    const end = Date.now() + timeoutMs;
    for (;;) {
      const left = end - Date.now();
      if (left <= 0) throw new Error(`${this.label}: no ${method} within ${timeoutMs} ms (got ${skipped.map(methodOf).join(',') || 'nothing'})`);
      const f = await this.next(left).catch((e) => { throw new Error(`${e.message}; waiting for ${method}, got ${skipped.map(methodOf).join(',') || 'nothing'}`); });
      const res = resOf(f);
      if (res?.[1] === method) return { frame: f, res, skipped };
      skipped.push(f);
    }
  }

  id() { return this.nextId++; }

  send(text) { this.ws.send(text); }

  /**
   * Sends a request frame and reads up to its response: the first frame whose id is not 0.
   * Returns {response, res, before} (before = the notifications received first).
   */
  async request(frame, timeoutMs = READ_TIMEOUT_MS) {
    const id = JSON.parse(frame).req[0];
    if (Conn.unresponsive) throw new Error(`not sent: the broker already left a request unanswered (${Conn.unresponsive})`);
    this.send(frame);
    const before = [];
    const end = Date.now() + timeoutMs;
    for (;;) {
      const left = end - Date.now();
      const what = `${this.label}: request ${id} (${JSON.parse(frame).req[1]})`;
      if (left <= 0) { Conn.unresponsive = what; throw new Error(`${what}: no response within ${timeoutMs} ms`); }
      const f = await this.next(left).catch((e) => { Conn.unresponsive = what; throw new Error(`${e.message}; waiting for the response to ${what}`); });
      const res = resOf(f);
      if (res && res[0] !== 0) {
        if (res[0] !== id) throw new Error(`${this.label}: response id ${res[0]} to request ${id}: ${f}`);
        return { response: f, res, before };
      }
      before.push(f);
    }
  }

  close() { try { this.ws?.close(); } catch { /* already closed */ } }
}

export function resOf(text) {
  try { const j = JSON.parse(text); return Array.isArray(j.res) ? j.res : null; } catch { return null; }
}
export const methodOf = (text) => resOf(text)?.[1] ?? '?';
