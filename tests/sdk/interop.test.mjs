// SDK interoperability: the official TypeScript SDK (@erc7824/nitrolite 0.5.3) against the
// embedded reference broker (`nitrocert serve`). Run with `npm test` (after `cargo build`).
//
// Every frame the broker sends goes through the SDK's parsers (parseAnyRPCResponse and the
// typed parser of its method) and its broker signature is checked with viem (keccak256 of the
// raw `res` text, recoverAddress) against get_config's broker_address.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createWalletClient, custom, keccak256, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import nitrolite from '@erc7824/nitrolite';
import { startBroker, Conn, KEYS, sessionKeyOf, sdkParse, brokerSigner, methodOf, resOf } from './harness.mjs';

const {
  createAuthRequestMessage,
  createAuthVerifyMessage,
  createAuthVerifyMessageFromChallenge,
  createAuthVerifyMessageWithJWT,
  createEIP712AuthMessageSigner,
  createECDSAMessageSigner,
  createAppSessionMessage,
  createSubmitAppStateMessage,
  createCloseAppSessionMessage,
  createGetLedgerBalancesMessage,
  createGetAppDefinitionMessage,
  createGetAppSessionsMessage,
  createGetConfigMessage,
  createPingMessage,
  createTransferMessage,
  parseAssetsResponse,
  parsePongResponse,
  parseGetConfigResponse,
  parseAuthChallengeResponse,
  parseAuthVerifyResponse,
  parseChannelsUpdateResponse,
  parseBalanceUpdateResponse,
  parseGetLedgerBalancesResponse,
  parseCreateAppSessionResponse,
  parseSubmitAppStateResponse,
  parseCloseAppSessionResponse,
  parseAppSessionUpdateResponse,
  parseErrorResponse,
  parseGetAppDefinitionResponse,
  parseGetAppSessionsResponse,
  parseTransferResponse,
  parseTransferNotificationResponse,
} = nitrolite;

// ---------------------------------------------------------------------------------------------
// participants

const A = privateKeyToAccount(KEYS.W11).address; // wallet A: root session key (application "clearnode")
const B = privateKeyToAccount(KEYS.W12).address; // wallet B: app-scoped session key
const KEY_SA = sessionKeyOf(KEYS.W11);
const KEY_SB = sessionKeyOf(KEYS.W12, 'nitrocert-app-key');
const SA = privateKeyToAccount(KEY_SA).address;
const SB = privateKeyToAccount(KEY_SB).address;
const APP = 'nitrocert-interop'; // B's session key is scoped to this application
const OTHER_APP = 'nitrocert-other';
const sign = (pk) => createECDSAMessageSigner(pk);

// Every frame received on any connection: {conn, text, parse}.
const allFrames = [];
const conns = [];
let broker; // {url, announcedBrokerAddress, child, stop, log}
let brokerAddress; // from get_config
let connA;
let connB;
const auth = {}; // label -> auth_verify params (camelCase, parsed by the SDK)
const sid = {}; // scenario -> app_session_id

// ---------------------------------------------------------------------------------------------
// helpers

/** Asserts that every frame in `frames` was accepted by the SDK's parsers; returns the parse results. */
function assertParsed(frames) {
  return frames.map((text) => {
    const p = sdkParse(text);
    assert.ok(p.ok, `SDK rejected a ${p.method} frame: ${p.error}\nframe: ${text}`);
    return p;
  });
}

async function connect(label) {
  const c = new Conn(label, broker.url, allFrames);
  await c.open();
  conns.push(c);
  return c;
}

async function authenticate(conn, walletKey, { application, allowances, sessionKey, useParsedChallenge }) {
  const address = privateKeyToAccount(walletKey).address;
  const authParams = {
    address,
    session_key: sessionKey,
    application,
    allowances,
    expires_at: Math.floor(Date.now() / 1000) + 3600,
    scope: 'console',
  };
  const { response } = await conn.request(await createAuthRequestMessage(authParams, conn.id(), Date.now()));
  assertParsed([response]);
  const challenge = parseAuthChallengeResponse(response);
  assert.match(challenge.params.challengeMessage, /\S/, 'auth_challenge carries a challenge_message');

  const walletClient = createWalletClient({
    account: privateKeyToAccount(walletKey),
    transport: custom({ async request() { throw new Error('no RPC: local signing only'); } }),
  });
  const eip712 = createEIP712AuthMessageSigner(walletClient, {
    scope: authParams.scope,
    session_key: authParams.session_key,
    expires_at: BigInt(authParams.expires_at),
    allowances: authParams.allowances,
  }, { name: application });
  const verifyFrame = useParsedChallenge
    ? await createAuthVerifyMessage(eip712, challenge, conn.id(), Date.now())
    : await createAuthVerifyMessageFromChallenge(eip712, challenge.params.challengeMessage, conn.id(), Date.now());
  const { response: vr, before } = await conn.request(verifyFrame);
  assertParsed([...before, vr]);
  const verified = parseAuthVerifyResponse(vr).params;
  assert.equal(verified.success, true);
  assert.equal(verified.address, address);
  assert.equal(verified.sessionKey, sessionKey);
  assert.equal(typeof verified.jwtToken, 'string');
  // AUTH-8 / NOTIF-3: the response comes first, then channels, then bu.
  const ch = await conn.waitFor('channels');
  assert.deepEqual(ch.skipped.map(methodOf), [], 'nothing between auth_verify and channels');
  assert.deepEqual(parseChannelsUpdateResponse(ch.frame).params.channels, []);
  const bu = await conn.waitFor('bu');
  assert.deepEqual(bu.skipped.map(methodOf), [], 'nothing between channels and bu');
  return { verified, bu: parseBalanceUpdateResponse(bu.frame).params.balanceUpdates };
}

/** usdc amount of a get_ledger_balances read on `conn` (unified, or one app session's account). */
async function usdc(conn, walletKey, accountId) {
  const { response, before } = await conn.request(await createGetLedgerBalancesMessage(sign(walletKey), accountId, conn.id(), Date.now()));
  assertParsed([...before, response]);
  const rows = parseGetLedgerBalancesResponse(response).params.ledgerBalances;
  const row = rows.find((r) => r.asset === 'usdc');
  return row ? row.amount : '(no usdc row)';
}

async function assertBalances(expect, label) {
  const got = {
    A: await usdc(connA, KEYS.W11),
    B: await usdc(connB, KEYS.W12),
  };
  const want = { A: expect.A, B: expect.B };
  if (expect.session) {
    got.sA = await usdc(connA, KEYS.W11, expect.session);
    got.sB = await usdc(connB, KEYS.W12, expect.session);
    want.sA = expect.sA;
    want.sB = expect.sB;
  }
  assert.deepEqual(got, want, `balances after ${label} (unified A/B, session share sA/sB)`);
}

/** A multi-signed app-session request: the SDK builds it signed by keys[0], every further key signs the same req. */
async function appFrame(conn, method, params, keys) {
  const id = conn.id();
  const ts = Date.now();
  const build = { create_app_session: createAppSessionMessage, submit_app_state: createSubmitAppStateMessage, close_app_session: createCloseAppSessionMessage }[method];
  const msg = JSON.parse(await build(sign(keys[0]), params, id, ts));
  for (const k of keys.slice(1)) msg.sig.push(await sign(k)(msg.req));
  return JSON.stringify(msg);
}

async function appRequest(method, params, keys) {
  const { response, res, before } = await connA.request(await appFrame(connA, method, params, keys));
  assertParsed([...before, response]);
  return { response, res, before };
}

const alloc = (participant, amount, asset = 'usdc') => ({ participant, asset, amount });
const sortRows = (rows) => rows.map((r) => `${r.participant}:${r.asset}:${r.amount}`).sort();

/** AS-ID-2: keccak256 of the compact JSON of the definition's seven members in fixed order. */
function predictedSessionId(def) {
  return keccak256(toHex(JSON.stringify({
    application: def.application, protocol: def.protocol, participants: def.participants,
    weights: def.weights, quorum: def.quorum, challenge: def.challenge, nonce: def.nonce,
  })));
}

/** Expects an asu on `conn` (skipping other notifications) for `sessionId` at `version` with these rows. */
async function expectAsu(conn, sessionId, version, status, rows) {
  const { frame } = await conn.waitFor('asu');
  const p = parseAppSessionUpdateResponse(frame).params;
  assert.equal(p.appSessionId, sessionId);
  assert.equal(p.version, version);
  assert.equal(p.status, status);
  assert.deepEqual(sortRows(p.participantAllocations), sortRows(rows), `asu participant_allocations on ${conn.label} (compared as a multiset)`);
  return p;
}

function assertError(response, includes) {
  const p = parseErrorResponse(response).params;
  assert.ok(p.error.includes(includes), `error ${JSON.stringify(p.error)} should contain ${JSON.stringify(includes)}`);
  return p.error;
}

// ---------------------------------------------------------------------------------------------

describe('nitrocert serve speaks what @erc7824/nitrolite 0.5.3 speaks', { timeout: 120000 }, () => {
  before(async () => {
    // NITROCERT_SERVE_ARGS adds arguments (e.g. `--fault no-asu`, to see this suite catch a seeded bug).
    const extra = (process.env.NITROCERT_SERVE_ARGS || '').split(/\s+/).filter(Boolean);
    broker = await startBroker(['--fund', `${A}:usdc:1000`, '--fund', `${B}:usdc:1000`, ...extra]);
  });

  after(async () => {
    for (const c of conns) c.close();
    if (broker) await broker.stop();
  });

  it('sends the assets notification first on connect', async () => {
    connA = await connect('A');
    const first = await connA.next();
    assertParsed([first]);
    const res = resOf(first);
    assert.equal(res[0], 0);
    const p = parseAssetsResponse(first).params;
    assert.ok(p.assets.some((a) => a.symbol === 'usdc'), 'usdc is announced');
  });

  it('answers ping with pong (null params)', async () => {
    const { response, res, before } = await connA.request(await createPingMessage(null, connA.id(), Date.now()));
    assert.deepEqual(before, []);
    assertParsed([response]);
    parsePongResponse(response);
    assert.equal(res[2], null);
  });

  it('get_config names the key that signs every frame so far', async () => {
    const { response, before } = await connA.request(await createGetConfigMessage(null, connA.id(), Date.now()));
    assert.deepEqual(before, []);
    assertParsed([response]);
    const p = parseGetConfigResponse(response).params;
    brokerAddress = p.brokerAddress;
    assert.match(brokerAddress, /^0x[0-9a-fA-F]{40}$/);
    if (broker.announcedBrokerAddress) assert.equal(brokerAddress, broker.announcedBrokerAddress, 'get_config vs the address nitrocert serve printed');
    for (const f of allFrames) assert.equal(await brokerSigner(f.text), brokerAddress, `signer of ${f.text}`);
  });

  it('refuses a private read before authentication (SDK parses the error frame)', async () => {
    const { response } = await connA.request(await createGetLedgerBalancesMessage(sign(KEYS.W11), undefined, connA.id(), Date.now()));
    assertParsed([response]);
    assertError(response, 'authentication required');
  });

  it('authenticates wallet A with EIP-712, application "clearnode" (root session key)', async () => {
    const r = await authenticate(connA, KEYS.W11, { application: 'clearnode', allowances: [], sessionKey: SA });
    auth.A = r.verified;
    assert.deepEqual(r.bu.map((b) => [b.asset, b.amount]), [['usdc', '1000']]);
  });

  it('authenticates wallet B with EIP-712 and an app-scoped session key with an allowance', async () => {
    connB = await connect('B');
    const first = await connB.next();
    assertParsed([first]);
    assert.equal(methodOf(first), 'assets');
    const r = await authenticate(connB, KEYS.W12, {
      application: APP, allowances: [{ asset: 'usdc', amount: '100' }], sessionKey: SB, useParsedChallenge: true,
    });
    auth.B = r.verified;
    assert.deepEqual(r.bu.map((b) => [b.asset, b.amount]), [['usdc', '1000']]);
    await assertBalances({ A: '1000', B: '1000' }, 'authentication');
  });

  describe('NitroRPC/0.4 app session: create, operate, deposit, withdraw, close (A by wallet, B by app-scoped session key)', () => {
    const def = { application: APP, protocol: 'NitroRPC/0.4', participants: [A, B], weights: [50, 50], quorum: 100, challenge: 0, nonce: 1 };
    const AB = [KEYS.W11, KEY_SB];

    it('create_app_session [A 100, B 50] co-signed → v1 open, id = keccak(definition)', async () => {
      const { response, before } = await appRequest('create_app_session', { definition: def, allocations: [alloc(A, '100'), alloc(B, '50')] }, AB);
      const p = parseCreateAppSessionResponse(response).params;
      assert.deepEqual({ version: p.version, status: p.status }, { version: 1, status: 'open' });
      assert.equal(p.appSessionId, predictedSessionId(def));
      sid.v04 = p.appSessionId;
      assert.ok(before.map(methodOf).includes('bu'), `A gets bu before the response (got ${before.map(methodOf)})`);
      await connB.waitFor('bu');
      await assertBalances({ A: '900', B: '950', session: sid.v04, sA: '100', sB: '50' }, 'create');
    });

    it('get_app_definition returns the definition', async () => {
      const { response } = await connA.request(await createGetAppDefinitionMessage(null, sid.v04, connA.id(), Date.now()));
      assertParsed([response]);
      const p = parseGetAppDefinitionResponse(response).params;
      assert.deepEqual(p, { protocol: def.protocol, participants: def.participants, weights: def.weights, quorum: 100, challenge: 0, nonce: 1 });
    });

    it('submit_app_state operate v2 [A 30, B 120] → v2, asu to both', async () => {
      const rows = [alloc(A, '30'), alloc(B, '120')];
      const { response, before } = await appRequest('submit_app_state', { app_session_id: sid.v04, intent: 'operate', version: 2, allocations: rows }, AB);
      const p = parseSubmitAppStateResponse(response).params;
      assert.deepEqual({ id: p.appSessionId, version: p.version, status: p.status }, { id: sid.v04, version: 2, status: 'open' });
      assert.ok(before.map(methodOf).includes('asu'), `A gets asu before the response (got ${before.map(methodOf)})`);
      await expectAsu(connB, sid.v04, 2, 'open', rows);
      await assertBalances({ A: '900', B: '950', session: sid.v04, sA: '30', sB: '120' }, 'operate');
    });

    it('submit_app_state deposit v3 [A 80, B 120] → v3, A unified −50', async () => {
      const rows = [alloc(A, '80'), alloc(B, '120')];
      const { response } = await appRequest('submit_app_state', { app_session_id: sid.v04, intent: 'deposit', version: 3, allocations: rows }, AB);
      const p = parseSubmitAppStateResponse(response).params;
      assert.deepEqual({ version: p.version, status: p.status }, { version: 3, status: 'open' });
      await expectAsu(connB, sid.v04, 3, 'open', rows);
      await assertBalances({ A: '850', B: '950', session: sid.v04, sA: '80', sB: '120' }, 'deposit');
    });

    it('submit_app_state withdraw v4 [A 80, B 20] → v4, B unified +100', async () => {
      const rows = [alloc(A, '80'), alloc(B, '20')];
      const { response } = await appRequest('submit_app_state', { app_session_id: sid.v04, intent: 'withdraw', version: 4, allocations: rows }, AB);
      const p = parseSubmitAppStateResponse(response).params;
      assert.deepEqual({ version: p.version, status: p.status }, { version: 4, status: 'open' });
      await expectAsu(connB, sid.v04, 4, 'open', rows);
      await assertBalances({ A: '850', B: '1050', session: sid.v04, sA: '80', sB: '20' }, 'withdraw');
    });

    it('a stale version is an error frame the SDK parses', async () => {
      const { response } = await appRequest('submit_app_state', { app_session_id: sid.v04, intent: 'operate', version: 4, allocations: [alloc(A, '80'), alloc(B, '20')] }, AB);
      assertError(response, 'incorrect app state: incorrect version: expected 5, got 4');
      await assertBalances({ A: '850', B: '1050', session: sid.v04, sA: '80', sB: '20' }, 'the rejected submit');
    });

    it('close_app_session [A 60, B 40] → v5 closed, funds back to unified', async () => {
      const { response } = await appRequest('close_app_session', { app_session_id: sid.v04, allocations: [alloc(A, '60'), alloc(B, '40')] }, AB);
      const p = parseCloseAppSessionResponse(response).params;
      assert.deepEqual({ id: p.appSessionId, version: p.version, status: p.status }, { id: sid.v04, version: 5, status: 'closed' });
      await connB.waitFor('bu');
      await assertBalances({ A: '910', B: '1090', session: sid.v04, sA: '0', sB: '0' }, 'close');
    });
  });

  describe('NitroRPC/0.2 app session: create, submit, close (both by wallet)', () => {
    const def = { application: APP, protocol: 'NitroRPC/0.2', participants: [A, B], weights: [50, 50], quorum: 100, challenge: 0, nonce: 2 };
    const AB = [KEYS.W11, KEYS.W12];

    it('create_app_session [A 100, B 0] → v1 open', async () => {
      const { response } = await appRequest('create_app_session', { definition: def, allocations: [alloc(A, '100'), alloc(B, '0')] }, AB);
      const p = parseCreateAppSessionResponse(response).params;
      assert.deepEqual({ id: p.appSessionId, version: p.version, status: p.status }, { id: predictedSessionId(def), version: 1, status: 'open' });
      sid.v02 = p.appSessionId;
      await assertBalances({ A: '810', B: '1090', session: sid.v02, sA: '100', sB: '(no usdc row)' }, 'create 0.2');
    });

    it('submit_app_state without intent or version [A 40, B 60] → v2', async () => {
      const rows = [alloc(A, '40'), alloc(B, '60')];
      const { response } = await appRequest('submit_app_state', { app_session_id: sid.v02, allocations: rows }, AB);
      const p = parseSubmitAppStateResponse(response).params;
      assert.deepEqual({ version: p.version, status: p.status }, { version: 2, status: 'open' });
      await expectAsu(connB, sid.v02, 2, 'open', rows);
      await assertBalances({ A: '810', B: '1090', session: sid.v02, sA: '40', sB: '60' }, 'submit 0.2');
    });

    it('close_app_session [A 0, B 100] → v3 closed', async () => {
      const { response } = await appRequest('close_app_session', { app_session_id: sid.v02, allocations: [alloc(A, '0'), alloc(B, '100')] }, AB);
      const p = parseCloseAppSessionResponse(response).params;
      assert.deepEqual({ version: p.version, status: p.status }, { version: 3, status: 'closed' });
      await connB.waitFor('bu');
      await assertBalances({ A: '810', B: '1190', session: sid.v02, sA: '0', sB: '0' }, 'close 0.2');
    });
  });

  describe('app-scoped session key outside its application (AS-SK-2)', () => {
    const def = { application: OTHER_APP, protocol: 'NitroRPC/0.4', participants: [A, B], weights: [50, 50], quorum: 100, challenge: 0, nonce: 3 };

    it('create [A 10, B 0] co-signed by B\'s session key is accepted (no scope sweep on create)', async () => {
      const { response } = await appRequest('create_app_session', { definition: def, allocations: [alloc(A, '10'), alloc(B, '0')] }, [KEYS.W11, KEY_SB]);
      const p = parseCreateAppSessionResponse(response).params;
      assert.deepEqual({ version: p.version, status: p.status }, { version: 1, status: 'open' });
      sid.other = p.appSessionId;
    });

    it('operate co-signed by B\'s session key is refused with the application mismatch', async () => {
      const { response } = await appRequest('submit_app_state', { app_session_id: sid.other, intent: 'operate', version: 2, allocations: [alloc(A, '5'), alloc(B, '5')] }, [KEYS.W11, KEY_SB]);
      assertError(response, `session key is for '${APP}', but app session is for '${OTHER_APP}'`);
    });

    it('close by both wallets → v2 closed', async () => {
      const { response } = await appRequest('close_app_session', { app_session_id: sid.other, allocations: [alloc(A, '10'), alloc(B, '0')] }, [KEYS.W11, KEYS.W12]);
      const p = parseCloseAppSessionResponse(response).params;
      assert.deepEqual({ version: p.version, status: p.status }, { version: 2, status: 'closed' });
      await assertBalances({ A: '810', B: '1190' }, 'the other-application session');
    });
  });

  it('get_app_sessions lists the three sessions with their final versions', async () => {
    const { response } = await connA.request(await createGetAppSessionsMessage(null, A, undefined, connA.id(), Date.now()));
    assertParsed([response]);
    const list = parseGetAppSessionsResponse(response).params.appSessions;
    const byId = Object.fromEntries(list.map((s) => [s.appSessionId, s]));
    assert.deepEqual(
      [sid.v04, sid.v02, sid.other].map((id) => byId[id] && { status: byId[id].status, version: byId[id].version, protocol: byId[id].protocol, application: byId[id].application }),
      [
        { status: 'closed', version: 5, protocol: 'NitroRPC/0.4', application: APP },
        { status: 'closed', version: 3, protocol: 'NitroRPC/0.2', application: APP },
        { status: 'closed', version: 2, protocol: 'NitroRPC/0.4', application: OTHER_APP },
      ],
    );
  });

  it('transfer 1.5 usdc A → B signed by A\'s session key: transfer, tr and bu parse', async () => {
    const frame = await createTransferMessage(sign(KEY_SA), { destination: B, allocations: [{ asset: 'usdc', amount: '1.5' }] }, connA.id(), Date.now());
    const { response, before } = await connA.request(frame);
    assertParsed([...before, response]);
    const p = parseTransferResponse(response).params;
    assert.equal(p.transactions.length, 1);
    assert.deepEqual({ type: p.transactions[0].txType, from: p.transactions[0].fromAccount, to: p.transactions[0].toAccount, asset: p.transactions[0].asset, amount: p.transactions[0].amount },
      { type: 'transfer', from: A, to: B, asset: 'usdc', amount: '1.5' });
    assert.ok(before.map(methodOf).includes('tr'), `A gets tr before the response (got ${before.map(methodOf)})`);
    const tr = await connB.waitFor('tr');
    assert.equal(parseTransferNotificationResponse(tr.frame).params.transactions[0].amount, '1.5');
    await assertBalances({ A: '808.5', B: '1191.5' }, 'transfer');
  });

  it('re-authenticates A on a new connection with the JWT from auth_verify', async () => {
    const c = await connect('A-jwt');
    assertParsed([await c.next()]);
    const { response } = await c.request(await createAuthVerifyMessageWithJWT(auth.A.jwtToken, c.id(), Date.now()));
    assertParsed([response]);
    const p = parseAuthVerifyResponse(response).params;
    assert.deepEqual({ success: p.success, address: p.address }, { success: true, address: A });
    assert.equal(await usdc(c, KEYS.W11), '808.5');
  });

  it('every frame the broker sent parses with the SDK and carries the broker signature', async (t) => {
    // Collect late notifications before the final check.
    for (const c of conns) await c.drain(200, 1000);
    assert.ok(brokerAddress, 'get_config ran');
    const parseFailures = allFrames.filter((f) => !f.parse.ok).map((f) => `${f.conn}: ${f.parse.method}: ${f.parse.error}\n  ${f.text}`);
    assert.deepEqual(parseFailures, [], 'frames the SDK rejected');
    const sigFailures = [];
    for (const f of allFrames) {
      try {
        const who = await brokerSigner(f.text);
        if (who !== brokerAddress) sigFailures.push(`${f.conn}: signed by ${who}: ${f.text}`);
      } catch (e) {
        sigFailures.push(`${f.conn}: ${e.message}: ${f.text}`);
      }
    }
    assert.deepEqual(sigFailures, [], 'frames without a valid broker signature');
    // Notifications carry id 0; every res[3] is a Unix-ms timestamp of this run.
    const NOTIFICATIONS = new Set(['assets', 'channels', 'bu', 'cu', 'tr', 'asu']);
    const envelopeFailures = [];
    for (const f of allFrames) {
      const res = resOf(f.text);
      if (NOTIFICATIONS.has(res[1]) !== (res[0] === 0)) envelopeFailures.push(`${f.conn}: id ${res[0]} on ${res[1]}: ${f.text}`);
      if (!Number.isSafeInteger(res[3]) || Math.abs(res[3] - Date.now()) > 120000) envelopeFailures.push(`${f.conn}: timestamp ${res[3]}: ${f.text}`);
    }
    assert.deepEqual(envelopeFailures, [], 'notification ids and timestamps');
    const seen = new Set(allFrames.map((f) => f.parse.method));
    const required = ['assets', 'auth_challenge', 'auth_verify', 'channels', 'bu', 'asu', 'error', 'pong', 'get_config',
      'get_ledger_balances', 'get_app_sessions', 'get_app_definition', 'create_app_session', 'submit_app_state',
      'close_app_session', 'transfer', 'tr'];
    assert.deepEqual(required.filter((m) => !seen.has(m)), [], 'methods never received');
    assert.ok(allFrames.length > 50, `${allFrames.length} frames checked`);
    const counts = {};
    for (const f of allFrames) counts[f.parse.method] = (counts[f.parse.method] || 0) + 1;
    t.diagnostic(`${allFrames.length} broker frames parsed and signature-checked: ${JSON.stringify(counts)}`);
  });

  it('the broker is still running', () => {
    assert.equal(broker.exited(), null, `nitrocert serve exited: ${broker.log.stderr}`);
  });
});
