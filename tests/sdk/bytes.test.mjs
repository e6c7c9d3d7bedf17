// Byte identity: for the same inputs (request id, timestamp, params, keys), the request frame
// that `nitrocert request` prints equals, byte for byte, the frame the official SDK's
// create*Message functions build (@erc7824/nitrolite 0.5.3). Signed frames are also re-signed
// with `nitrocert sign` from the SDK's own req text and recovered with `nitrocert recover`.
// EIP-712 auth_verify signatures are not raw-keccak signatures: they are checked with viem's
// recoverTypedDataAddress and against the VEC-1 frame of tests/data/kat/spec-vectors.json,
// which tests/suite/kat.rs makes nitrocert's own EIP-712 signer reproduce.

import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWalletClient, custom, recoverTypedDataAddress } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import nitrolite from '@erc7824/nitrolite';
import { nitrocert, requireBinary, KEYS } from './harness.mjs';

const {
  createAuthRequestMessage,
  createAuthVerifyMessageFromChallenge,
  createAuthVerifyMessageWithJWT,
  createEIP712AuthMessageSigner,
  createECDSAMessageSigner,
  createAppSessionMessage,
  createSubmitAppStateMessage,
  createCloseAppSessionMessage,
  createTransferMessage,
  createGetLedgerBalancesMessage,
  createPingMessage,
  createGetConfigMessage,
  createGetAppDefinitionMessage,
  createGetAppSessionsMessage,
  createGetSessionKeysMessage,
  createGetUserTagMessage,
  createRevokeSessionKeyMessage,
  EIP712AuthTypes,
} = nitrolite;

const HERE = path.dirname(fileURLToPath(import.meta.url));
const KAT = JSON.parse(readFileSync(path.resolve(HERE, '../data/kat/spec-vectors.json'), 'utf8'));

const TS = 1700000000000;
const WALLET = KEYS.HH0; // 0xf39F…2266
const SESSION = KEYS.HH1; // 0x7099…79C8
const WALLET2 = KEYS.W12;
const addr = (pk) => privateKeyToAccount(pk).address;
const A = addr(WALLET);
const B = addr(WALLET2);
const SK = addr(SESSION);
const SID = '0x4b1e7acde82b2f2b1f2f0d8747f9ccecfe54843aff583beaaf14f0d3ef5d603d';
const sign = (pk) => createECDSAMessageSigner(pk);

const def = (protocol, extra = {}) => ({
  application: 'chess', protocol, participants: [A, B], weights: [50, 50], quorum: 100, challenge: 86400, nonce: 1, ...extra,
});
const rows = (a, b) => [{ participant: A, asset: 'usdc', amount: a }, { participant: B, asset: 'usdc', amount: b }];

// The SDK's builder for each signed method, called as the SDK documents it.
const SIGNED_BUILDERS = {
  create_app_session: (signer, params, id) => createAppSessionMessage(signer, params, id, TS),
  submit_app_state: (signer, params, id) => createSubmitAppStateMessage(signer, params, id, TS),
  close_app_session: (signer, params, id) => createCloseAppSessionMessage(signer, params, id, TS),
  transfer: (signer, params, id) => createTransferMessage(signer, params, id, TS),
  get_ledger_balances: (signer, params, id) => createGetLedgerBalancesMessage(signer, params.account_id, id, TS),
  get_session_keys: (signer, _params, id) => createGetSessionKeysMessage(signer, id, TS),
  get_user_tag: (signer, _params, id) => createGetUserTagMessage(signer, id, TS),
  revoke_session_key: (signer, params, id) => createRevokeSessionKeyMessage(signer, params.session_key, id, TS),
};

// Unsigned builders: params are what the SDK puts on the wire for these arguments.
const UNSIGNED_BUILDERS = {
  auth_request: (params, id) => createAuthRequestMessage(params, id, TS),
  ping: (_params, id) => createPingMessage(null, id, TS),
  get_config: (_params, id) => createGetConfigMessage(null, id, TS),
  get_app_definition: (params, id) => createGetAppDefinitionMessage(null, params.app_session_id, id, TS),
  get_app_sessions: (params, id) => createGetAppSessionsMessage(null, params.participant, params.status, id, TS),
  auth_verify: (params, id) => createAuthVerifyMessageWithJWT(params.jwt, id, TS),
};

/** The SDK frame: built and signed with keys[0]; every further key signs the same req (multi-party signing, SDK-1). */
async function sdkFrame({ id, method, params, keys = [] }) {
  if (keys.length === 0) return UNSIGNED_BUILDERS[method](params, id);
  const msg = JSON.parse(await SIGNED_BUILDERS[method](sign(keys[0]), params, id));
  if (keys.length === 1) return JSON.stringify(msg);
  for (const k of keys.slice(1)) msg.sig.push(await sign(k)(msg.req));
  return JSON.stringify(msg);
}

function nitrocertFrame({ id, method, params, keys = [] }) {
  return nitrocert(['request', '--id', String(id), '--method', method, '--params', JSON.stringify(params), '--ts', String(TS), ...keys.flatMap((k) => ['--key', k])]);
}

/** The raw req text of a request frame (the bytes its signatures cover). */
function reqText(frame) {
  const m = /^\{"req":(.*),"sig":\[[^\]]*\]\}$/s.exec(frame);
  assert.ok(m, `not a {"req":…,"sig":[…]} frame: ${frame}`);
  return m[1];
}

// Odd strings: JSON.stringify and serde_json must escape them identically (only `"`, `\` and
// control characters; no \u escapes for non-ASCII, `<>&`, U+2028/U+2029 or DEL).
const ODD = {
  unicode: 'é ü ß 中文 🚀 𝄞 עברית',
  quotes: 'say "hi" \\ back\\slash \'single\' /slash',
  html: '<script>alert("x")</script> & &amp; <>',
  control: 'tab\there\nnew\rret\bback\fform\u0001\u001f\u007f\u0000',
  separators: 'line\u2028para\u2029end',
  json_in_string: JSON.stringify({ gameType: 'chess', moves: ['e4', 'e5'], note: 'ü "q" <b>' }),
};

// Numbers inside params (as a JSON number `amount`), each case on its own.
const NUMBERS = {
  '1.5': 1.5,
  '0.1': 0.1,
  '0.30000000000000004': 0.1 + 0.2,
  '100': 100,
  '-1': -1,
  '-0': -0,
  '2^53': 2 ** 53,
  '1e17': 1e17,
  '1e21': 1e21,
  '1.7976931348623157e308': Number.MAX_VALUE,
  '5e-324': Number.MIN_VALUE,
  '0.00001': 0.00001,
  '1e-7': 1e-7,
  '1e20': 1e20,
  '-1e20': -1e20,
  '2^64': 2 ** 64,
  '1e-6': 1e-6,
  '2.5e-6': 2.5e-6,
};

const CASES = [];
const add = (name, c) => CASES.push({ name, ...c });

add('auth_request (VEC-1 inputs)', {
  id: 2, method: 'auth_request',
  params: { address: A, session_key: SK, application: 'clearnode', allowances: [{ asset: 'usdc', amount: '100' }], expires_at: 1800000000, scope: 'console' },
  expect: KAT.vec1.frames.auth_request,
});
add('auth_request app-scoped, empty allowances', {
  id: 7, method: 'auth_request',
  params: { address: A, session_key: SK, application: 'nitrocert-interop', allowances: [], expires_at: 1800000000, scope: 'app.sign' },
});
add('auth_verify with a JWT', { id: 4, method: 'auth_verify', params: { jwt: 'eyJhbGciOiJFUzI1NiJ9.eyJ3YWxsZXQiOiIweGYzOUYifQ.c2ln' } });
add('ping', { id: 1, method: 'ping', params: {} });
add('get_config', { id: 11, method: 'get_config', params: {} });
add('get_app_definition', { id: 12, method: 'get_app_definition', params: { app_session_id: SID } });
add('get_app_sessions with status', { id: 13, method: 'get_app_sessions', params: { participant: A, status: 'open' } });
add('get_ledger_balances (unified)', { id: 20, method: 'get_ledger_balances', params: {}, keys: [WALLET] });
add('get_ledger_balances (app session account, session key)', { id: 21, method: 'get_ledger_balances', params: { account_id: SID }, keys: [SESSION] });
add('get_session_keys', { id: 22, method: 'get_session_keys', params: {}, keys: [WALLET] });
add('get_user_tag', { id: 23, method: 'get_user_tag', params: {}, keys: [WALLET] });
add('revoke_session_key', { id: 24, method: 'revoke_session_key', params: { session_key: SK }, keys: [WALLET] });
add('transfer (VEC-4)', {
  id: 2, method: 'transfer', params: { destination: SK, allocations: [{ asset: 'usdc', amount: '1.5' }] }, keys: [WALLET],
  expect: KAT.vec4?.frame,
});
add('transfer to a user tag, two assets', {
  id: 25, method: 'transfer', params: { destination_user_tag: 'UX123D', allocations: [{ asset: 'usdc', amount: '0.000001' }, { asset: 'weth', amount: '1000000000000000000000' }] }, keys: [SESSION],
});
add('create_app_session 0.4 co-signed (VEC-5)', {
  id: 6, method: 'create_app_session',
  params: {
    definition: { application: 'clearnode', protocol: 'NitroRPC/0.4', participants: ['0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266', '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'], weights: [50, 50], quorum: 100, challenge: 0, nonce: 1 },
    allocations: [{ participant: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266', asset: 'usdc', amount: '1' }],
    session_data: '{"a":1}',
  },
  keys: [SESSION, WALLET],
  expect: KAT.vec5?.frame,
});
add('create_app_session 0.4 single-signed', { id: 30, method: 'create_app_session', params: { definition: def('NitroRPC/0.4'), allocations: rows('100', '0') }, keys: [WALLET] });
add('create_app_session 0.4 co-signed with session_data', { id: 31, method: 'create_app_session', params: { definition: def('NitroRPC/0.4'), allocations: rows('100', '50'), session_data: ODD.json_in_string }, keys: [WALLET, WALLET2] });
add('create_app_session 0.2 single-signed', { id: 32, method: 'create_app_session', params: { definition: def('NitroRPC/0.2'), allocations: rows('100', '0') }, keys: [WALLET] });
add('create_app_session 0.2 co-signed (wallet + session key)', { id: 33, method: 'create_app_session', params: { definition: def('NitroRPC/0.2', { nonce: 1732000000000 }), allocations: rows('0.5', '12.000001') }, keys: [WALLET, SESSION] });
add('create_app_session 0.4 three signatures', { id: 34, method: 'create_app_session', params: { definition: def('NitroRPC/0.4'), allocations: rows('1', '2') }, keys: [WALLET, WALLET2, SESSION] });
add('submit_app_state 0.2 (no intent, no version)', { id: 40, method: 'submit_app_state', params: { app_session_id: SID, allocations: rows('40', '60') }, keys: [WALLET, WALLET2] });
add('submit_app_state 0.2 with session_data', { id: 41, method: 'submit_app_state', params: { app_session_id: SID, allocations: rows('40', '60'), session_data: '{"turn":2}' }, keys: [WALLET] });
for (const [i, intent] of ['operate', 'deposit', 'withdraw'].entries()) {
  add(`submit_app_state 0.4 ${intent}`, { id: 42 + i, method: 'submit_app_state', params: { app_session_id: SID, intent, version: 2 + i, allocations: rows('30', '120'), session_data: '{"s":"x"}' }, keys: [WALLET, WALLET2] });
}
add('submit_app_state 0.4 operate, empty allocations', { id: 45, method: 'submit_app_state', params: { app_session_id: SID, intent: 'operate', version: 9, allocations: [] }, keys: [SESSION] });
add('close_app_session', { id: 50, method: 'close_app_session', params: { app_session_id: SID, allocations: rows('60', '40') }, keys: [WALLET, WALLET2] });
add('close_app_session with session_data, single-signed', { id: 51, method: 'close_app_session', params: { app_session_id: SID, allocations: rows('0', '100'), session_data: '{"result":"draw"}' }, keys: [WALLET] });
for (const [k, s] of Object.entries(ODD)) {
  add(`odd string: ${k}`, {
    id: 60, method: 'create_app_session',
    params: { definition: def('NitroRPC/0.4', { application: s }), allocations: rows('1', '0'), session_data: s },
    keys: [WALLET, WALLET2],
  });
}
add('odd string in a key name', { id: 61, method: 'submit_app_state', params: { app_session_id: SID, allocations: [], 'ключ "<&>"': 'v', '': 'empty key' }, keys: [WALLET] });
add('lone surrogate', { id: 62, method: 'close_app_session', params: { app_session_id: SID, allocations: [], session_data: 'x\ud800y' }, keys: [WALLET] });
for (const [k, n] of Object.entries(NUMBERS)) {
  add(`number ${k}`, {
    id: 70, method: 'submit_app_state',
    params: { app_session_id: SID, intent: 'operate', version: 2, allocations: [{ participant: A, asset: 'usdc', amount: n }] },
    keys: [WALLET],
  });
}
add('large request id and a nested number array', { id: 9007199254740991, method: 'close_app_session', params: { app_session_id: SID, allocations: rows('1', '2'), extra: [[0, -1.25, 3e-3], { z: 1, a: 2 }] }, keys: [WALLET] });

// ---------------------------------------------------------------------------------------------

describe('nitrocert request builds the SDK\'s bytes', () => {
  before(() => requireBinary());

  for (const c of CASES) {
    it(c.name, async () => {
      const sdk = await sdkFrame(c);
      if (c.expect !== undefined) assert.equal(sdk, c.expect, 'the SDK reproduces the spec vector');
      const ours = nitrocertFrame(c);
      assert.equal(ours, sdk, 'nitrocert request vs the SDK, full frame text');
      const keys = c.keys ?? [];
      if (keys.length) {
        // nitrocert sign over the SDK's own req text gives the SDK's signatures …
        assert.equal(nitrocert(['sign', ...keys.flatMap((k) => ['--key', k])], { input: reqText(sdk) }), sdk, 'nitrocert sign over the SDK req');
        // … and nitrocert recover finds every signer of the SDK frame, in order.
        assert.deepEqual(nitrocert(['recover'], { input: sdk }).split('\n'), keys.map(addr), 'nitrocert recover of the SDK frame');
      }
    });
  }
});

// The same params typed by hand as JSON text: the SDK caller gets JSON.parse(text), nitrocert
// gets the text itself and must read it as JSON.parse does (doubles, lone surrogates, key order).
const TEXT_CASES = [
  { name: 'whitespace and newlines', text: '{ "session_data" : "x" ,\n  "allocations" : [ ] }' },
  { name: 'escaped non-ASCII, \\/ and a surrogate pair', text: '{"session_data":"\\u00e9\\/\\u0041\\uD834\\uDD1E"}' },
  { name: 'duplicate key (last wins, first position)', text: '{"a":1,"b":2,"a":3}' },
  { name: 'integral float 1.0', text: '{"amount":1.0}' },
  { name: 'exponent 1E5', text: '{"amount":1E5}' },
  { name: 'negative zero -0', text: '{"amount":-0}' },
  { name: 'u64 above 2^53 (12345678901234567890)', text: '{"nonce":12345678901234567890}' },
  { name: 'out of double range (1e400)', text: '{"amount":1e400}' },
  { name: 'underflow to zero (1e-400) and tiny exponents', text: '{"a":1e-400,"b":1e-7,"c":9.5e-7,"d":1.5e21}' },
  { name: 'integer-like keys come first, ascending', text: '{"b":1,"10":2,"a":3,"2":4,"01":5,"-1":6,"4294967295":7,"4294967294":8}' },
  { name: 'lone surrogates in a value and a key', text: '{"\\udc00k":"\\ud83d","pair":"\\ud83d\\ude80","two":"\\ud800\\ud800\\udc00"}' },
];

describe('hand-written --params text', () => {
  before(() => requireBinary());
  for (const c of TEXT_CASES) {
    it(c.name, async () => {
      const sdk = await createSubmitAppStateMessage(sign(WALLET), JSON.parse(c.text), 80, TS);
      const ours = nitrocert(['request', '--id', '80', '--method', 'submit_app_state', '--params', c.text, '--ts', String(TS), '--key', WALLET]);
      assert.equal(ours, sdk);
    });
  }
});

describe('EIP-712 auth_verify', () => {
  before(() => requireBinary());

  const cases = [
    {
      name: 'VEC-1 (fixed challenge, application clearnode)', wallet: WALLET, id: 3,
      application: 'clearnode', challenge: KAT.vec1.policy.challenge,
      policy: { scope: 'console', session_key: SK, expires_at: 1800000000n, allowances: [{ asset: 'usdc', amount: '100' }] },
      expect: KAT.vec1.frames.auth_verify,
    },
    {
      name: 'app-scoped key, no allowances, another challenge', wallet: WALLET2, id: 8,
      application: 'nitrocert-interop', challenge: '00000000-0000-4000-8000-000000000001',
      policy: { scope: 'app.sign', session_key: SK, expires_at: 1900000000n, allowances: [] },
    },
  ];

  for (const c of cases) {
    const build = async () => {
      const walletClient = createWalletClient({
        account: privateKeyToAccount(c.wallet),
        transport: custom({ async request() { throw new Error('no RPC: local signing only'); } }),
      });
      const signer = createEIP712AuthMessageSigner(walletClient, c.policy, { name: c.application });
      return createAuthVerifyMessageFromChallenge(signer, c.challenge, c.id, TS);
    };

    it(`${c.name}: req bytes equal nitrocert request, signature recovers to the wallet`, async () => {
      const sdk = await build();
      if (c.expect) assert.equal(sdk, c.expect, 'the SDK reproduces VEC-1 (which nitrocert\'s KAT test reproduces too)');
      const ours = nitrocertFrame({ id: c.id, method: 'auth_verify', params: { challenge: c.challenge } });
      assert.equal(reqText(ours), reqText(sdk), 'req bytes');
      const msg = JSON.parse(sdk);
      assert.equal(msg.sig.length, 1);
      const who = await recoverTypedDataAddress({
        domain: { name: c.application },
        types: EIP712AuthTypes,
        primaryType: 'Policy',
        message: { ...c.policy, challenge: c.challenge, wallet: addr(c.wallet) },
        signature: msg.sig[0],
      });
      assert.equal(who, addr(c.wallet), 'EIP-712 signer');
    });

    it(`${c.name}: nitrocert recover --auth-request finds the wallet`, async () => {
      const sdk = await build();
      const authRequest = JSON.stringify({
        address: addr(c.wallet), session_key: c.policy.session_key, application: c.application,
        allowances: c.policy.allowances, expires_at: Number(c.policy.expires_at), scope: c.policy.scope,
      });
      assert.equal(nitrocert(['recover', '--auth-request', authRequest], { input: sdk }), addr(c.wallet));
      // Over the req bytes the same signature gives another address: the Policy mode matters.
      assert.notEqual(nitrocert(['recover'], { input: sdk }), addr(c.wallet));
    });
  }
});
