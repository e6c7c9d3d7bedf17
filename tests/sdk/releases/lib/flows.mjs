// The flows of the SDK release matrix, run with one release against one broker: authenticate
// with the release's own auth, then create, submit and close an app session in every NitroRPC
// version the release speaks, and read a session's share with the release's own builder.
// Requests are built with the release's builders and signers; every frame the broker sends
// goes through the release's own parsers and must carry the broker's signature.
//
// Each flow ends in one cell {flow, class, detail[, via]}; the detail says exactly what went
// wrong (which request, the broker's error text, which parser refused which frame) and never
// holds a timestamp, a session id or a signature, so a cell is the same on every run.

import { Conn, resOf, methodOf } from './conn.mjs';
import { PROTOCOLS } from './release.mjs';

/** Cell classes, best first. */
export const CLASSES = ['PASS', 'PARSE', 'REFUSED', 'WRONG', 'ERROR', 'BLOCKED', 'N/A'];
export const STEPS = ['create', 'submit', 'close'];

/** Every flow of the matrix, in display order. */
export const FLOWS = ['auth', ...PROTOCOLS.flatMap((p) => STEPS.map((s) => `${p} ${s}`)), 'share read'];

/** A flow that did not pass: the class and what happened. */
class Outcome extends Error {
  constructor(cls, detail) {
    super(detail);
    this.cls = cls;
    this.detail = detail;
  }
}

/** One line, bounded: broker and parser texts are untrusted and zod messages are long. */
export function oneLine(s, max = 320) {
  const t = String(s).replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** method → the name of the release's typed parser for it (a release may lack some). */
const TYPED = {
  assets: 'parseAssetsResponse',
  auth_challenge: 'parseAuthChallengeResponse',
  auth_verify: 'parseAuthVerifyResponse',
  channels: 'parseChannelsUpdateResponse',
  cu: 'parseChannelUpdateResponse',
  bu: 'parseBalanceUpdateResponse',
  asu: 'parseAppSessionUpdateResponse',
  tr: 'parseTransferNotificationResponse',
  error: 'parseErrorResponse',
  get_config: 'parseGetConfigResponse',
  get_ledger_balances: 'parseGetLedgerBalancesResponse',
  create_app_session: 'parseCreateAppSessionResponse',
  submit_app_state: 'parseSubmitAppStateResponse',
  close_app_session: 'parseCloseAppSessionResponse',
};

/** Runs a frame through the release: parseAnyRPCResponse, then its typed parser if it has one. */
export function parseWith(sdk, text) {
  const method = methodOf(text);
  try {
    sdk.parseAnyRPCResponse(text);
    const typed = sdk[TYPED[method]];
    const parsed = typeof typed === 'function' ? typed(text) : null;
    return { ok: true, method, parsed };
  } catch (e) {
    return { ok: false, method, error: parserError(e) };
  }
}

/**
 * A parser's error in one line. The releases wrap zod's issue list (JSON) in `Failed to parse
 * RPC response: …`; it is shown as `field: message` pairs, which say which field was refused.
 */
export function parserError(e) {
  const text = String(e?.message || e);
  const m = /^([^[]*?)(\[[\s\S]*\])$/.exec(text);
  if (m) {
    try {
      const issues = JSON.parse(m[2]);
      if (Array.isArray(issues) && issues.every((i) => Array.isArray(i?.path))) {
        return oneLine(`${m[1]}${issues.map((i) => `${i.path.join('.') || '(params)'}: ${i.message}`).join('; ')}`);
      }
    } catch { /* not zod's list: shown as it is */ }
  }
  return oneLine(text);
}

/** The top-level keys of a frame's params (`{a, b}`), or its JSON type: says what a parser was given. */
export function paramsShape(text) {
  const p = resOf(text)?.[2];
  if (p === null || typeof p !== 'object' || Array.isArray(p)) return p === null ? 'null' : Array.isArray(p) ? 'an array' : typeof p;
  return `{${Object.keys(p).join(', ')}}`;
}

/** The EIP-712 Policy Clearnode v0.5.2 verifies (clearnode/auth.go, the AUTH digest). */
export const CLEARNODE_POLICY = {
  Policy: [
    { name: 'challenge', type: 'string' },
    { name: 'scope', type: 'string' },
    { name: 'wallet', type: 'address' },
    { name: 'session_key', type: 'address' },
    { name: 'expires_at', type: 'uint64' },
    { name: 'allowances', type: 'Allowance[]' },
  ],
  Allowance: [{ name: 'asset', type: 'string' }, { name: 'amount', type: 'string' }],
};
const fields = (struct) => struct.map((f) => `${f.name} ${f.type}`).join(', ');

/** Decimal strings compared as numbers written canonically (`900.0` = `900`). */
const canon = (x) => {
  const s = String(x);
  return /^-?\d+(\.\d+)?$/.test(s) ? s.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '') : s;
};

const alloc = (participant, amount) => ({ participant, asset: 'usdc', amount });

export class ReleaseRun {
  /**
   * @param rel    loadRelease(version)
   * @param broker {name, url}
   */
  constructor(rel, broker) {
    this.rel = rel;
    this.sdk = rel.sdk;
    this.broker = broker;
    this.frames = [];
    this.checked = 0; // frames[0..checked) went through parsers and the signature check
    this.conns = [];
    this.cells = [];
    this.brokerAddress = null;
    this.wallets = walletsOf(rel);
  }

  sign(key) { return this.sdk.createECDSAMessageSigner(key); }

  async connect(label) {
    const c = new Conn(label, this.broker.url, this.frames, this.rel.WebSocket);
    await c.open();
    this.conns.push(c);
    await c.next(); // the `assets` greeting, checked with the step's frames
    return c;
  }

  close() { for (const c of this.conns) c.close(); }

  /** Runs every flow; returns the cells. */
  async run() {
    const authed = await this.authFlow();
    let sharePending = true;
    for (const protocol of PROTOCOLS) {
      const why = this.rel.dialect.unspoken[protocol];
      if (why) {
        for (const s of STEPS) this.cells.push({ flow: `${protocol} ${s}`, class: 'N/A', detail: why });
        continue;
      }
      if (!authed.ok) {
        for (const s of STEPS) this.cells.push({ flow: `${protocol} ${s}`, class: 'BLOCKED', detail: `no authenticated connection: ${authed.detail}` });
        continue;
      }
      await this.lifecycle(protocol, authed, sharePending);
      sharePending = false;
    }
    if (sharePending) this.cells.push({ flow: 'share read', class: 'BLOCKED', detail: `no authenticated connection: ${authed.detail}` });
    this.close();
    return this.cells;
  }

  /**
   * Runs `fn` as the flow `flow`: its outcome, then every frame received since the last flow
   * goes through the release's parsers and the broker-signature check.
   */
  async flow(flow, fn, via) {
    let cls = 'PASS';
    let detail = '';
    try {
      detail = (await fn()) ?? '';
    } catch (e) {
      [cls, detail] = e instanceof Outcome ? [e.cls, e.detail] : ['ERROR', oneLine(e?.message || e)];
    }
    for (const c of this.conns) await c.drain();
    const trouble = await this.checkFrames();
    if (trouble && cls === 'PASS') [cls, detail] = trouble;
    else if (trouble) detail = `${detail}; also ${trouble[1]}`;
    const cell = { flow, class: cls, detail };
    if (via) cell.via = via;
    this.cells.push(cell);
    return cell;
  }

  /** The first frame since the last check that a parser refused or the broker did not sign. */
  async checkFrames() {
    const { keccak256, toHex, recoverAddress } = this.rel.viem;
    const fresh = this.frames.slice(this.checked);
    this.checked = this.frames.length;
    const refused = [];
    for (const f of fresh) {
      const p = parseWith(this.sdk, f.text);
      if (!p.ok) refused.push(`${p.method}: ${p.error} [the frame's params: ${paramsShape(f.text)}]`);
    }
    if (refused.length) {
      const more = refused.length > 1 ? ` (${refused.length} frames refused)` : '';
      return ['PARSE', `the release's parser refused a broker frame: ${refused[0]}${more}`];
    }
    if (!this.brokerAddress) return null;
    for (const f of fresh) {
      const m = /^\{"res":(.*),"sig":\["(0x[0-9a-fA-F]{130})"\]\}$/s.exec(f.text);
      const who = m ? await recoverAddress({ hash: keccak256(toHex(m[1])), signature: m[2] }) : null;
      if (who !== this.brokerAddress) return ['WRONG', `a ${methodOf(f.text)} frame is not signed by the broker's key ${this.brokerAddress}`];
    }
    return null;
  }

  /** `req` signed by every key in `keys`, in order. */
  async signed(conn, method, params, keys) {
    const req = [conn.id(), method, params, Date.now()];
    const sig = [];
    for (const k of keys) sig.push(await this.sign(k)(req));
    return JSON.stringify({ req, sig });
  }

  /** Sends `frame`; the response, or an Outcome when the broker answered with an error. */
  async expectReply(conn, frame, method) {
    const { response, res } = await conn.request(frame);
    if (res[1] === 'error') throw new Outcome('REFUSED', `${method} refused: ${oneLine(res[2]?.error ?? JSON.stringify(res[2]))}`);
    if (res[1] !== method) throw new Outcome('WRONG', `${method} answered with method ${oneLine(res[1])}`);
    const p = parseWith(this.sdk, response);
    if (!p.ok) throw new Outcome('PARSE', `the release's parser refused the ${method} response: ${p.error}`);
    return p.parsed?.params ?? {};
  }

  /** usdc of a get_ledger_balances read (unified, or one app session's account), built by the harness. */
  async usdc(conn, key, accountId) {
    const params = accountId ? { account_id: accountId } : {};
    const rows = (await this.expectReply(conn, await this.signed(conn, 'get_ledger_balances', params, [key]), 'get_ledger_balances')).ledgerBalances ?? [];
    const row = rows.find((r) => r.asset === 'usdc');
    return row ? canon(row.amount) : '0';
  }

  async books(want, what) {
    const { A, B } = this.wallets;
    const got = {};
    for (const [name, conn, w, account] of [['A', this.connA, A, null], ['B', this.connB, B, null], ['share A', this.connA, A, want.sid], ['share B', this.connB, B, want.sid]]) {
      if (want[name] === undefined) continue;
      got[name] = await this.usdc(conn, w.key, account);
    }
    const bad = Object.keys(got).filter((k) => got[k] !== canon(want[k]));
    if (bad.length) throw new Outcome('WRONG', `books after ${what}: ${bad.map((k) => `${k} usdc ${got[k]}, expected ${canon(want[k])}`).join('; ')}`);
  }

  /** The release's own authentication of both wallets; falls back to a bridged auth for the app flows. */
  async authFlow() {
    const { A, B } = this.wallets;
    const own = await this.flow('auth', async () => {
      this.connA = await this.connect('A');
      const cfg = await this.expectReply(this.connA, await this.sdk.createGetConfigMessage(this.sign(A.key), this.connA.id(), Date.now()), 'get_config');
      this.brokerAddress = cfg.brokerAddress ?? cfg.broker_address ?? null;
      if (!/^0x[0-9a-fA-F]{40}$/.test(this.brokerAddress ?? '')) throw new Outcome('WRONG', 'get_config names no broker address');
      await this.ownAuth(this.connA, A);
      this.connB = await this.connect('B');
      await this.ownAuth(this.connB, B);
      return `both wallets authenticated (${this.rel.dialect.authDialect} Policy)`;
    });
    if (own.class === 'PASS') return { ok: true, via: undefined };
    // The release's auth failed: authenticate new connections with the Policy Clearnode v0.5.2
    // verifies, signed by viem, so the app-session flows still test the release's builders
    // and parsers. Every app-session cell then says `via: bridged auth`.
    this.close();
    this.conns = [];
    try {
      this.connA = await this.connect('A');
      await this.bridgeAuth(this.connA, A);
      this.connB = await this.connect('B');
      await this.bridgeAuth(this.connB, B);
      await this.checkFrames();
      return { ok: true, via: 'bridged auth' };
    } catch (e) {
      return { ok: false, detail: oneLine(e?.message || e) };
    }
  }

  async ownAuth(conn, w) {
    const { sdk } = this;
    const { createWalletClient, custom } = this.rel.viem;
    const expires = Math.floor(Date.now() / 1000) + 3600;
    const walletClient = createWalletClient({
      account: this.rel.accounts.privateKeyToAccount(w.key),
      transport: custom({ async request() { throw new Error('no RPC: local signing only'); } }),
    });
    let request;
    let signer;
    if (this.rel.dialect.authDialect === 'policy-v2') {
      request = { address: w.address, session_key: w.sessionAddress, application: 'clearnode', allowances: [], expires_at: expires, scope: 'console' };
      signer = sdk.createEIP712AuthMessageSigner(walletClient, { scope: 'console', session_key: w.sessionAddress, expires_at: BigInt(expires), allowances: [] }, { name: 'clearnode' });
    } else {
      // policy-v1: `application` is an address in these releases; the wallet's own is used.
      request = { address: w.address, session_key: w.sessionAddress, app_name: 'clearnode', allowances: [], expire: String(expires), scope: 'console', application: w.address };
      signer = sdk.createEIP712AuthMessageSigner(walletClient, { scope: 'console', application: w.address, participant: w.sessionAddress, expire: String(expires), allowances: [] }, { name: 'clearnode' });
    }
    const requestFrame = await sdk.createAuthRequestMessage(request, conn.id(), Date.now());
    const challenge = await this.expectReply(conn, requestFrame, 'auth_challenge');
    const verify = await sdk.createAuthVerifyMessageFromChallenge(signer, challenge.challengeMessage, conn.id(), Date.now());
    const ok = await this.expectReply(conn, verify, 'auth_verify').catch((e) => {
      throw e instanceof Outcome ? new Outcome(e.cls, `${e.detail}${this.authDialectNote(requestFrame)}`) : e;
    });
    if (ok.success !== true || ok.address !== w.address) throw new Outcome('WRONG', `auth_verify answered success ${ok.success} for ${ok.address}`);
  }

  /**
   * Why a refused auth differs from what Clearnode v0.5.2 expects, read from the release itself:
   * the keys its auth_request sent and the EIP-712 types it exports (empty when they agree).
   */
  authDialectNote(requestFrame) {
    const own = this.sdk.EIP712AuthTypes;
    const sent = Object.keys(JSON.parse(requestFrame).req[2]);
    const want = ['address', 'session_key', 'application', 'allowances', 'expires_at', 'scope'];
    const notes = [];
    if (own && (fields(own.Policy) !== fields(CLEARNODE_POLICY.Policy) || fields(own.Allowance) !== fields(CLEARNODE_POLICY.Allowance))) {
      notes.push(`the release signs EIP-712 Policy(${fields(own.Policy)}) with Allowance(${fields(own.Allowance)}); Clearnode v0.5.2 verifies Policy(${fields(CLEARNODE_POLICY.Policy)}) with Allowance(${fields(CLEARNODE_POLICY.Allowance)})`);
    }
    const missing = want.filter((k) => !sent.includes(k));
    const extra = sent.filter((k) => !want.includes(k));
    if (missing.length || extra.length) notes.push(`its auth_request params lack {${missing.join(', ')}} and carry {${extra.join(', ')}}`);
    return notes.length ? ` — ${notes.join('; ')}` : '';
  }

  /** auth_request / auth_verify as Clearnode v0.5.2 expects them, built and signed here (not by the release). */
  async bridgeAuth(conn, w) {
    const expires = Math.floor(Date.now() / 1000) + 3600;
    const params = { address: w.address, session_key: w.sessionAddress, application: 'clearnode', allowances: [], expires_at: expires, scope: 'console' };
    const { res } = await conn.request(JSON.stringify({ req: [conn.id(), 'auth_request', params, Date.now()], sig: [] }));
    if (res[1] !== 'auth_challenge') throw new Error(`bridged auth_request: ${oneLine(JSON.stringify(res[2]))}`);
    const signature = await this.rel.accounts.privateKeyToAccount(w.key).signTypedData({
      domain: { name: 'clearnode' },
      types: CLEARNODE_POLICY,
      primaryType: 'Policy',
      message: { challenge: res[2].challenge_message, scope: 'console', wallet: w.address, session_key: w.sessionAddress, expires_at: BigInt(expires), allowances: [] },
    });
    const v = await conn.request(JSON.stringify({ req: [conn.id(), 'auth_verify', { challenge: res[2].challenge_message }, Date.now()], sig: [signature] }));
    if (v.res[1] !== 'auth_verify' || v.res[2]?.success !== true) throw new Error(`bridged auth_verify: ${oneLine(JSON.stringify(v.res[2]))}`);
  }

  /** create → submit → close in `protocol`, co-signed by both wallets; the share read after the first create. */
  async lifecycle(protocol, authed, withShareRead) {
    const { A, B } = this.wallets;
    const keys = [A.key, B.key];
    const sdk = this.sdk;
    // The nonce only has to be fresh on a broker that keeps its database between runs.
    const core = { protocol, participants: [A.address, B.address], weights: [50, 50], quorum: 100, challenge: 0, nonce: Date.now() };
    const definition = this.rel.dialect.definitionHasApplication ? { application: 'clearnode', ...core } : core;
    const build = async (builder, params) => {
      const msg = JSON.parse(await builder(this.sign(keys[0]), params, this.connA.id(), Date.now()));
      for (const k of keys.slice(1)) msg.sig.push(await this.sign(k)(msg.req));
      return JSON.stringify(msg);
    };
    const expectState = (p, method, version, status) => {
      if (p.version !== version || p.status !== status) throw new Outcome('WRONG', `${method} answered version ${p.version} status ${p.status}, expected ${version} ${status}`);
    };
    let sid = null;
    let version = 0;
    let start = null;
    const step = (name, fn) => (sid === null && name !== 'create'
      ? this.cells.push({ flow: `${protocol} ${name}`, class: 'BLOCKED', detail: 'create did not open a session', ...(authed.via ? { via: authed.via } : {}) })
      : this.flow(`${protocol} ${name}`, fn, authed.via));

    await step('create', async () => {
      start = { A: await this.usdc(this.connA, A.key), B: await this.usdc(this.connB, B.key) };
      const p = await this.expectReply(this.connA, await build(sdk.createAppSessionMessage, { definition, allocations: [alloc(A.address, '100'), alloc(B.address, '0')] }), 'create_app_session');
      expectState(p, 'create_app_session', 1, 'open');
      sid = p.appSessionId;
      version = 1;
      await this.books({ A: Number(start.A) - 100, B: start.B, 'share A': 100, sid }, 'create');
      return 'version 1 open; books moved';
    });
    if (withShareRead) await this.shareRead(sid, authed);
    await step('submit', async () => {
      const rows = [alloc(A.address, '40'), alloc(B.address, '60')];
      const params = protocol === 'NitroRPC/0.4'
        ? { app_session_id: sid, intent: 'operate', version: version + 1, allocations: rows }
        : { app_session_id: sid, allocations: rows };
      const mark = this.frames.length;
      const p = await this.expectReply(this.connA, await build(sdk.createSubmitAppStateMessage, params), 'submit_app_state');
      expectState(p, 'submit_app_state', version + 1, 'open');
      version += 1;
      await this.books({ 'share A': 40, 'share B': 60, sid }, 'submit');
      // The other participant learns of the new state from asu (the frame old parsers refuse).
      await this.connB.drain(100, 1000);
      if (!this.frames.slice(mark).some((f) => f.conn === 'B' && methodOf(f.text) === 'asu')) throw new Outcome('WRONG', 'no asu notification reached B after submit_app_state');
      return `version ${version} open; books moved`;
    });
    await step('close', async () => {
      const p = await this.expectReply(this.connA, await build(sdk.createCloseAppSessionMessage, { app_session_id: sid, allocations: [alloc(A.address, '40'), alloc(B.address, '60')] }), 'close_app_session');
      expectState(p, 'close_app_session', version + 1, 'closed');
      await this.books({ A: Number(start.A) - 60, B: Number(start.B) + 60 }, 'close');
      return `version ${version + 1} closed; books moved`;
    });
  }

  /** A session's share read with the release's own get_ledger_balances builder. */
  async shareRead(sid, authed) {
    if (sid === null) {
      this.cells.push({ flow: 'share read', class: 'BLOCKED', detail: 'create did not open a session' });
      return;
    }
    await this.flow('share read', async () => {
      const frame = await this.sdk.createGetLedgerBalancesMessage(this.sign(this.wallets.A.key), sid, this.connA.id(), Date.now());
      const sent = Object.keys(JSON.parse(frame).req[2]).join(', ');
      const rows = (await this.expectReply(this.connA, frame, 'get_ledger_balances')).ledgerBalances ?? [];
      const got = canon(rows.find((r) => r.asset === 'usdc')?.amount ?? '0');
      if (got !== '100') throw new Outcome('WRONG', `the release's builder sends get_ledger_balances params {${sent}} for an account id (Clearnode v0.5.2 reads {account_id}); the broker answered usdc ${got}, but A's share of the session is 100`);
      return `params {${sent}}; A's share 100`;
    }, authed.via);
  }
}

/** The wallets of one release: fixed keys derived from the release (never use them with real funds). */
export function walletsOf(rel) {
  const { keccak256, toHex } = rel.viem;
  const make = (label) => {
    const key = keccak256(toHex(`nitrocert sdk-matrix ${rel.version} ${label}`));
    const sessionKey = keccak256(toHex(`nitrocert sdk-matrix ${rel.version} ${label} session`));
    return {
      key,
      address: rel.accounts.privateKeyToAccount(key).address,
      sessionAddress: rel.accounts.privateKeyToAccount(sessionKey).address,
    };
  };
  return { A: make('A'), B: make('B') };
}

export { resOf };
