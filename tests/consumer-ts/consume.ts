// A reference consumer of nitrocert's golden vectors (format nitrocert-vector/2), written from
// vectors/README.md alone: it replays every vector of a folder against a NitroRPC broker with
// fresh keys and prints PASS/FAIL per case with the first difference. Everything a consumer
// needs is here: filling the templates, signing (keccak256 + secp256k1, EIP-712 for the auth
// Policy), the socket, reading the books back, and comparing.
//
//   npx tsx consume.ts --endpoint ws://127.0.0.1:8000/ws --profile clearnode-0.5.2 \
//     --fund-cmd 'adapters/clearnode/fund.sh {wallet} {asset} {amount}' vectors/
//
// Options: --control URL (`nitrocert serve --control`: fund through it instead of a command,
// and reset the broker before its pending challenges reach their cap), --restart-cmd CMD and
// --challenge-budget N (default 800: restart a broker that caps pending challenges, AUTH-9),
// --timeout-ms N (default 5000), --json FILE (verdicts per case id), --only ID (repeatable).
import { execSync } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import WebSocket from "ws";
import { keccak256, recoverAddress, toBytes, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAddress, sign, signTypedData } from "viem/accounts";

type Json = any; // vector files and broker replies are untrusted JSON, checked where used
type Verdict = "PASS" | "NON-STRICT" | "FAIL" | "ERROR" | "SKIP";
const RANK: Verdict[] = ["SKIP", "PASS", "NON-STRICT", "FAIL", "ERROR"];
/** The marker of a broker-chosen value in an expectation: present, any value. */
const BROKER = "${broker}";
const OBSERVER_APP = "nitrocert-observer";
const SILENCE_MS = 300; // how long a frame that expects no reply is given to answer anyway

class Finding extends Error {
  constructor(public verdict: Verdict, message: string) { super(message); }
}

// ---------------------------------------------------------------------------------------------
// Templates: `${A}`, `${session:N}`, `${now_ms-61000}`, `${result:N.member}`, `${recovered:K}`,
// `${expires_at:REF}`, with modifiers |lower |upper |bare |rfc3339 (vectors/README.md).
interface Names {
  keys: Map<string, Hex>; // identity name → private key
  addresses: Map<string, string>; // identity name → EIP-55 address
  sessions: Map<number, string>; // step → app_session_id
  results: Map<number, Json>; // step → the result of its reply
  recovered: (string | null)[]; // sig[K] of the current frame → its signer
  expiries: Map<string, number>; // handshake (connection name or step) → expires_at it proposed
  nowMs: number;
}

function fill(template: string, n: Names): string {
  return template.replace(/\$\{([^}]*)\}/g, (whole, inner: string) =>
    inner === "broker" ? whole : placeholder(inner, n));
}

function fillJson(value: Json, n: Names): Json {
  if (typeof value === "string") return fill(value, n);
  if (Array.isArray(value)) return value.map((v) => fillJson(v, n));
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillJson(v, n)]));
  return value;
}

function placeholder(inner: string, n: Names): string {
  const [head, ...modifiers] = inner.split("|");
  const fail = (why: string): never => { throw new Error(`placeholder \${${inner}}: ${why}`); };
  let value: string | undefined;
  let m: RegExpMatchArray | null;
  if ((m = head.match(/^session:(\d+)$/))) value = n.sessions.get(Number(m[1]));
  else if ((m = head.match(/^result:(\d+)\.(.+)$/))) value = n.results.get(Number(m[1]))?.[m[2]];
  else if ((m = head.match(/^recovered:(\d+)$/))) value = n.recovered[Number(m[1])] ?? undefined;
  else if ((m = head.match(/^expires_at:(.+)$/))) value = n.expiries.get(m[1])?.toString();
  else if ((m = head.match(/^now_(ms|s)([+-]\d+)?$/))) {
    const now = m[1] === "ms" ? n.nowMs : Math.floor(n.nowMs / 1000);
    value = (now + Number(m[2] ?? 0)).toString();
  } else value = n.addresses.get(head);
  if (typeof value !== "string") return fail("this run has no such value");
  for (const mod of modifiers) {
    const hex = (f: (s: string) => string) =>
      value!.startsWith("0x") ? "0x" + f(value!.slice(2)) : f(value!);
    if (mod === "lower") value = hex((s) => s.toLowerCase());
    else if (mod === "upper") value = hex((s) => s.toUpperCase());
    else if (mod === "bare") value = value.replace(/^0x/, "");
    else if (mod === "rfc3339") value = new Date(Number(value) * 1000).toISOString().replace(".000Z", "Z");
    else fail(`unknown modifier ${mod}`);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Signing: a request's signature is secp256k1 over keccak256 of exactly the `req` bytes (no
// EIP-191 prefix), 65 bytes r‖s‖v with v = 27/28.
const signBytes = (key: Hex, text: string): Promise<Hex> =>
  sign({ hash: keccak256(toBytes(text)), privateKey: key, to: "hex" });

async function signPolicy(key: Hex, params: Json, challenge: string): Promise<Hex> {
  // An address is hashed as 20 bytes: its spelling (case, `0x`) does not matter, its length does.
  const address = (a: unknown): Hex => typeof a === "string" && /^(0x)?[0-9a-fA-F]{40}$/.test(a)
    ? `0x${a.slice(-40).toLowerCase()}` : (String(a) as Hex); // not an address: hashing throws
  const message = {
    challenge, scope: params.scope, wallet: address(params.address), session_key: address(params.session_key),
    expires_at: BigInt(params.expires_at ?? 0), allowances: params.allowances ?? [],
  };
  try {
    if (!params.application) throw new Error("domain is undefined");
    return await signTypedData({
      privateKey: key, domain: { name: params.application }, primaryType: "Policy", message,
      types: {
        Policy: [
          { name: "challenge", type: "string" }, { name: "scope", type: "string" },
          { name: "wallet", type: "address" }, { name: "session_key", type: "address" },
          { name: "expires_at", type: "uint64" }, { name: "allowances", type: "Allowance[]" },
        ],
        Allowance: [{ name: "asset", type: "string" }, { name: "amount", type: "string" }],
      },
    });
  } catch {
    // A Policy that cannot be hashed: the signature covers 32 zero bytes (the broker rejects it).
    return sign({ hash: `0x${"00".repeat(32)}`, privateKey: key, to: "hex" });
  }
}

async function recovered(req: string, sig: string): Promise<string | null> {
  try {
    return await recoverAddress({ hash: keccak256(toBytes(req)), signature: sig as Hex });
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// The socket: every read has a deadline, every message a size limit. A frame is a push when
// its id is 0.
interface Frame { id: number; method: string; params: Json; text: string }

function parseFrame(text: string): Frame {
  try {
    const res = JSON.parse(text).res;
    if (Array.isArray(res)) return { id: Number(res[0]), method: String(res[1]), params: res[2], text };
  } catch { /* not JSON: still a reply */ }
  return { id: -1, method: "", params: null, text };
}

class Conn {
  private queue: Frame[] = [];
  private wake: (() => void) | null = null;
  private pingId = 1_000_000;
  nextId = 1; // past every request id sent on it: handshakes built here take the next one
  private constructor(private ws: WebSocket, private timeoutMs: number) {
    ws.on("message", (data) => { this.queue.push(parseFrame(data.toString())); this.wake?.(); });
    ws.on("close", () => this.wake?.());
  }

  static open(url: string, timeoutMs: number): Promise<Conn> {
    const ws = new WebSocket(url, { maxPayload: 1 << 20, handshakeTimeout: timeoutMs });
    return new Promise((ok, fail) => {
      ws.once("open", () => ok(new Conn(ws, timeoutMs)));
      ws.once("error", fail);
    });
  }

  private async next(deadline: number): Promise<Frame | null> {
    while (this.queue.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0 || this.ws.readyState !== WebSocket.OPEN) return null;
      await new Promise<void>((ok) => { this.wake = ok; setTimeout(ok, left); });
      this.wake = null;
    }
    return this.queue.shift()!;
  }

  send(text: string) {
    const id = Number(text.match(/^\{"req":\[(\d+),/)?.[1]);
    if (id >= this.nextId) this.nextId = id + 1;
    this.ws.send(text);
  }

  /** Sends `text`; the pushes before the reply, and the reply (null: none within the wait). */
  async exchange(text: string, expectReply = true): Promise<{ pushes: Frame[]; reply: Frame | null }> {
    this.send(text);
    const deadline = Date.now() + (expectReply ? this.timeoutMs : SILENCE_MS);
    const pushes: Frame[] = [];
    for (let f = await this.next(deadline); f; f = await this.next(deadline)) {
      if (f.id === 0) pushes.push(f);
      else return { pushes, reply: f };
    }
    return { pushes, reply: null };
  }

  /** Every push queued so far: a ping's pong comes after them (one connection is in order). */
  async sync(): Promise<Frame[]> {
    const { pushes, reply } = await this.exchange(
      `{"req":[${this.pingId++},"ping",{},${Date.now()}],"sig":[]}`);
    if (reply?.method !== "pong") throw new Finding("ERROR", `ping was answered with ${reply?.text}`);
    return pushes;
  }

  /** A read method's result; an error reply is a harness error. */
  async call(method: string, params: Json): Promise<Json> {
    const { reply } = await this.exchange(
      `{"req":[${this.pingId++},${JSON.stringify(method)},${JSON.stringify(params)},${Date.now()}],"sig":[]}`);
    if (!reply || reply.method === "error") throw new Finding("ERROR", `${method}: ${reply?.text ?? "no reply"}`);
    return reply.params;
  }

  close() { this.ws.close(); }
}

// ---------------------------------------------------------------------------------------------
// The auth handshake: auth_request (params in the SDK's key order), then auth_verify signing
// the EIP-712 Policy of the issued challenge.
interface Issued { params: Json; challenge: string }

function authRequestParams(n: Names, auth: Json): Json {
  return {
    address: n.addresses.get(auth.wallet), session_key: n.addresses.get(auth.session_key),
    application: auth.application, allowances: auth.allowances,
    expires_at: Math.floor(n.nowMs / 1000) + auth.expires_in_s, scope: auth.scope,
  };
}

async function handshake(conn: Conn, n: Names, auth: Json, reference: string) {
  const params = authRequestParams(n, auth);
  n.expiries.set(reference, params.expires_at);
  const request = `{"req":[${conn.nextId},"auth_request",${JSON.stringify(params)},${n.nowMs}],"sig":[]}`;
  const first = await conn.exchange(request);
  const challenge = first.reply?.method === "auth_challenge" ? first.reply.params?.challenge_message : undefined;
  if (typeof challenge !== "string") return { ...first, issued: undefined };
  const issued = { params, challenge };
  const verify = await verifyFrame(conn, n, issued, { signer: auth.wallet, challenge: "issued", sign: "policy" });
  const second = await conn.exchange(verify);
  return { pushes: [...first.pushes, ...second.pushes], reply: second.reply, issued };
}

async function verifyFrame(conn: Conn, n: Names, issued: Issued, spec: Json): Promise<string> {
  const challenge = spec.challenge === "issued" ? issued.challenge
    : spec.challenge === "issued-braces-upper" ? `{${issued.challenge.toUpperCase()}}`
    : spec.challenge === "absent" ? undefined : spec.challenge;
  const params = challenge === undefined ? {} : { challenge };
  const req = `[${conn.nextId},"auth_verify",${JSON.stringify(params)},${n.nowMs}]`;
  const sig = spec.signer === undefined ? [] : [spec.sign === "policy"
    ? await signPolicy(n.keys.get(spec.signer)!, issued.params, issued.challenge)
    : await signBytes(n.keys.get(spec.signer)!, req)];
  return `{"req":${req},"sig":${JSON.stringify(sig)}}`;
}

// ---------------------------------------------------------------------------------------------
// Comparing. Amounts are decimals: "1.50" and "1.5" are the same balance.
function decimal(text: string): string {
  const m = String(text).match(/^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/);
  if (!m || (m[2] + (m[3] ?? "")) === "") return `NaN(${text})`;
  let digits = (m[2] + (m[3] ?? "")).replace(/^0+/, "");
  let exp = Number(m[4] ?? 0) - (m[3] ?? "").length;
  if (digits === "") return "0";
  while (digits.endsWith("0")) { digits = digits.slice(0, -1); exp++; }
  const sign = m[1] === "-" ? "-" : "";
  if (exp >= 0) return sign + digits + "0".repeat(exp);
  const point = digits.length + exp;
  return sign + (point > 0 ? digits.slice(0, point) : "0") + "." + (point > 0 ? digits.slice(point) : "0".repeat(-point) + digits);
}

const isZero = (v: Json) =>
  v === null || v === false || v === 0 || v === "" || (Array.isArray(v) && v.length === 0) ||
  (typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);

/** The first difference of a reply's result (extra members and absent zero values pass). */
function compare(path: string, want: Json, got: Json): string | null {
  if (want === BROKER) return got === undefined ? `${path} is missing` : null;
  if (want && got && typeof want === "object" && typeof got === "object" && !Array.isArray(want) && !Array.isArray(got)) {
    for (const [k, w] of Object.entries(want)) {
      if (!(k in got)) { if (isZero(w)) continue; return `${path}.${k} is missing`; }
      const d = compare(`${path}.${k}`, w, got[k]);
      if (d) return d;
    }
    return null;
  }
  if (Array.isArray(want) && Array.isArray(got) && want.length === got.length) {
    for (let i = 0; i < want.length; i++) { const d = compare(`${path}[${i}]`, want[i], got[i]); if (d) return d; }
    return null;
  }
  if (JSON.stringify(want) === JSON.stringify(got) || (isZero(want) && isZero(got))) return null;
  return `${path}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`;
}

function checkReply(want: Json, reply: Frame | null) {
  if (want === "none") {
    if (reply) throw new Finding("FAIL", `no reply was expected, got ${reply.text}`);
    return;
  }
  if (!reply) throw new Finding("FAIL", "no reply came");
  const error = reply.method === "error" ? String(reply.params?.error) : null;
  if (want.error) {
    const e = want.error;
    if (error === null) throw new Finding("FAIL", `should have been rejected (${e.one_of.join(" | ")}), was accepted: ${reply.text}`);
    const known = e.any_text || e.one_of.includes(error) || (e.prefixes ?? []).some((p: string) => error.startsWith(p));
    if (!known) throw new Finding("NON-STRICT", `rejected with ${JSON.stringify(error)}, expected one of ${JSON.stringify(e.one_of)}`);
    return;
  }
  if (error !== null) throw new Finding("FAIL", `should have been accepted, was rejected: ${error}`);
  if (reply.method !== want.ok.method) throw new Finding("FAIL", `reply method ${reply.method}, expected ${want.ok.method}`);
  const d = compare("result", want.ok.result, reply.params);
  if (d) throw new Finding("FAIL", d);
}

/** What must match in a push: its method, and for bu/asu their rows as a set (their order is random). */
function pushKey(method: string, p: Json): string {
  const j = JSON.stringify;
  let rows: string[] = [];
  if (method === "bu") rows = (p?.balance_updates ?? []).map((r: Json) => `${j(r.asset)}=${j(r.amount)}`);
  if (method === "asu") {
    rows = (p?.participant_allocations ?? []).map((r: Json) => `${j(r.participant)}/${j(r.asset)}=${j(r.amount)}`);
    const s = p?.app_session ?? {};
    rows.push(`#${j(s.app_session_id)} v${j(s.version)} ${j(s.status)}`);
  }
  return `${method}[${rows.sort().join(",")}]`;
}

/** The pushes of one connection: the same multiset, in order, where a run of one non-zero
 * `group` may arrive in any order. */
function checkPushes(conn: string, want: Json[], got: Frame[]) {
  const wanted = want.map((p) => ({ key: pushKey(p.method, p.params), group: p.group ?? 0 }));
  const arrived = got.map((f) => pushKey(f.method, f.params));
  const left = [...wanted];
  for (const key of arrived) {
    const i = left.findIndex((w) => w.key === key);
    if (i >= 0) { left.splice(i, 1); continue; }
    if (want.some((p) => key.startsWith(`${p.method}[`))) throw new Finding("FAIL", `${conn}: push ${key} carries other content than expected (${wanted.map((w) => w.key).join(" ")})`);
  }
  if (left.length) throw new Finding("FAIL", `${conn}: push ${left[0].key} is missing (got: ${arrived.join(" ") || "none"})`);
  let rest = arrived.filter((k) => wanted.some((w) => w.key === k));
  for (let i = 0; i < wanted.length;) {
    let end = i + 1;
    while (wanted[i].group !== 0 && end < wanted.length && wanted[end].group === wanted[i].group) end++;
    const block = wanted.slice(i, end).map((w) => w.key).sort().join(" ");
    if (rest.slice(0, end - i).sort().join(" ") !== block)
      throw new Finding("FAIL", `${conn}: pushes in another order than expected (${wanted.map((w) => w.key).join(" ")}; got ${arrived.join(" ")})`);
    rest = rest.slice(end - i);
    i = end;
  }
}

// ---------------------------------------------------------------------------------------------
// Books: every wallet's unified balances and every session, read by an observer connection
// per wallet (the wallet's JWT when a case connection has one, else a key of its own).
type Rows = Record<string, Record<string, string>>;
interface Books { unified: Rows; sessions: { app_session_id: string; status: string; version: number; balances: Rows }[] }

const rowsOf = (r: Json): Record<string, string> => Object.fromEntries(
  (r?.ledger_balances ?? []).map((b: Json) => [b.asset, decimal(String(b.amount))]).filter(([, a]: string[]) => a !== "0"));

async function readBooks(observers: Map<string, Conn>, n: Names, expected: string[]): Promise<Books> {
  const books: Books = { unified: {}, sessions: [] };
  const listed = new Map<string, Json>();
  const ids = new Set(expected);
  for (const [name, conn] of observers) {
    const rows = rowsOf(await conn.call("get_ledger_balances", {}));
    if (Object.keys(rows).length) books.unified[name] = rows;
    const list = await conn.call("get_app_sessions", { participant: n.addresses.get(name), limit: 100 });
    for (const s of list?.app_sessions ?? []) { ids.add(s.app_session_id); listed.set(s.app_session_id, s); }
  }
  if ([...ids].some((id) => !listed.has(id)) && observers.size) {
    const list = await [...observers.values()][0].call("get_app_sessions", { limit: 100 });
    for (const s of list?.app_sessions ?? []) if (ids.has(s.app_session_id)) listed.set(s.app_session_id, s);
  }
  for (const id of [...ids].sort()) {
    const s = listed.get(id);
    if (!s) continue;
    const balances: Rows = {};
    for (const [name, conn] of observers) {
      const rows = rowsOf(await conn.call("get_ledger_balances", { account_id: id }));
      if (Object.keys(rows).length) balances[name] = rows;
    }
    books.sessions.push({ app_session_id: id, status: s.status, version: Number(s.version), balances });
  }
  return books;
}

function checkBooks(want: Json, got: Books) {
  const norm = (rows: Rows) => JSON.stringify(Object.fromEntries(Object.entries(rows ?? {}).sort()
    .map(([w, a]) => [w, Object.fromEntries(Object.entries(a).sort().map(([k, v]) => [k, decimal(v)]))])));
  if (norm(want.unified) !== norm(got.unified))
    throw new Finding("FAIL", `unified balances: expected ${norm(want.unified)}, read ${norm(got.unified)}`);
  for (const s of want.sessions) {
    const r = got.sessions.find((x) => x.app_session_id === s.app_session_id);
    if (!r) throw new Finding("FAIL", `session ${s.app_session_id} is missing`);
    if (r.version !== s.version || r.status !== s.status)
      throw new Finding("FAIL", `session ${s.app_session_id}: expected v${s.version} ${s.status}, read v${r.version} ${r.status}`);
    if (norm(s.balances) !== norm(r.balances))
      throw new Finding("FAIL", `session ${s.app_session_id} balances: expected ${norm(s.balances)}, read ${norm(r.balances)}`);
  }
  for (const r of got.sessions)
    if (!want.sessions.some((s: Json) => s.app_session_id === r.app_session_id))
      throw new Finding("FAIL", `the broker holds session ${r.app_session_id}, which the vector does not`);
}

// ---------------------------------------------------------------------------------------------
// One case.
interface Options { endpoint: string; profile: string; fund: (w: string, a: string, x: string) => Promise<void>; timeoutMs: number }

function expectation(step: Json, profile: string): Json {
  const e = step.expect[profile];
  return e?.["same-as"] ? expectation(step, e["same-as"]) : e;
}

async function runCase(v: Json, o: Options): Promise<{ verdict: Verdict; note: string }> {
  const n: Names = { keys: new Map(), addresses: new Map(), sessions: new Map(), results: new Map(), recovered: [], expiries: new Map(), nowMs: Date.now() };
  for (const id of v.setup.identities) {
    const key = generatePrivateKey(); // fresh identities: never the file's keys
    n.keys.set(id.name, key);
    n.addresses.set(id.name, privateKeyToAddress(key));
  }
  const conns = new Map<string, Conn>();
  const observers = new Map<string, Conn>();
  try {
    for (const b of v.setup.balances) await o.fund(n.addresses.get(b.wallet)!, b.asset, b.amount);
    const jwts = new Map<string, string>();
    const issued = new Map<string, Issued>();
    for (const c of v.setup.connections) {
      const conn = await Conn.open(o.endpoint, o.timeoutMs);
      conns.set(c.name, conn);
      if (!c.auth) continue;
      n.nowMs = Date.now();
      const { reply } = await handshake(conn, n, c.auth, c.name);
      if (reply?.method !== "auth_verify") throw new Finding("ERROR", `setup: ${c.name} could not authenticate: ${reply?.text}`);
      jwts.set(c.auth.wallet, reply.params.jwt_token);
    }
    for (const conn of conns.values()) await conn.sync();
    for (const id of v.setup.identities.filter((i: Json) => i.role === "wallet")) {
      const conn = await Conn.open(o.endpoint, o.timeoutMs);
      observers.set(id.name, conn);
      const jwt = jwts.get(id.name);
      n.nowMs = Date.now();
      const reply = jwt
        ? (await conn.exchange(`{"req":[1,"auth_verify",${JSON.stringify({ jwt })},${n.nowMs}],"sig":[]}`)).reply
        : (await handshake(conn, { ...n, addresses: new Map([...n.addresses, ["observer", privateKeyToAddress(generatePrivateKey())]]), expiries: new Map() },
            { wallet: id.name, session_key: "observer", application: OBSERVER_APP, scope: "observer", expires_in_s: 86400, allowances: [] }, "observer")).reply;
      if (reply?.method !== "auth_verify") throw new Finding("ERROR", `setup: the observer of ${id.name} could not authenticate: ${reply?.text}`);
    }
    const funded: Rows = {};
    for (const b of v.setup.balances) funded[b.wallet] = { ...funded[b.wallet], [b.asset]: b.amount };
    try { checkBooks({ unified: funded, sessions: [] }, await readBooks(observers, n, [])); }
    catch (e) { throw new Finding("ERROR", `setup: after funding, ${(e as Error).message}`); }

    const sent: string[] = [];
    let worst: Verdict = "PASS";
    let note = "";
    for (const [i, step] of v.steps.entries()) {
      const want = expectation(step, o.profile);
      if (!want) throw new Finding("ERROR", `step ${i}: no expectation for ${o.profile}`);
      const conn = conns.get(step.conn)!;
      n.nowMs = Date.now();
      n.recovered = [];
      const [kind, a] = Object.entries(step.action)[0] as [string, Json];
      if (a?.session_definition) n.sessions.set(i, keccak256(toBytes(fill(a.session_definition, n))));
      let text = "";
      if (kind === "request" || kind === "frame") {
        const req = fill(a.req, n);
        const sig: string[] = [];
        for (const s of kind === "request" ? a.signers.map((name: string) => ({ kind: "signer", name })) : a.sig) {
          const key = n.keys.get(s.name)!;
          if (s.kind === "literal") sig.push(s.hex);
          else if (s.kind === "over_other") sig.push(await signBytes(key, fill(s.bytes, n)));
          else {
            const full = await signBytes(key, req);
            const v27 = parseInt(full.slice(-2), 16);
            const last = s.kind === "signer_v" ? s.v : s.kind === "signer_v01" ? v27 - 27 : v27;
            sig.push(full.slice(0, -2) + last.toString(16).padStart(2, "0"));
          }
        }
        for (const s of sig) n.recovered.push(await recovered(req, s));
        text = `{"req":${req},"sig":${JSON.stringify(sig)}}`;
      } else if (kind === "raw") text = fill(a.text, n);
      else if (kind === "resend") text = sent[a.step];
      else if (kind === "auth_verify") {
        const from = issued.get(a.policy_conn ?? step.conn);
        if (!from) throw new Finding("ERROR", `step ${i}: no challenge was issued on ${a.policy_conn ?? step.conn}`);
        text = await verifyFrame(conn, n, from, a);
      } else if (kind !== "authenticate") throw new Finding("ERROR", `step ${i}: ${kind} needs a hook this consumer lacks`);
      sent[i] = text;

      const answer: { pushes: Frame[]; reply: Frame | null; issued?: Issued } = kind === "authenticate"
        ? await handshake(conn, n, a, String(i))
        : await conn.exchange(text, want.response !== "none");
      if (kind === "authenticate" && answer.issued) issued.set(step.conn, answer.issued);
      if (answer.reply?.method === "auth_challenge" && kind !== "authenticate") {
        const params = JSON.parse(text).req[2];
        n.expiries.set(String(i), params?.expires_at);
        issued.set(step.conn, { params, challenge: answer.reply.params?.challenge_message });
      }
      if (answer.reply?.id && answer.reply.id > 0) n.results.set(i, answer.reply.params);
      const pushes = new Map<string, Frame[]>();
      for (const [name, c] of conns) pushes.set(name, [...(name === step.conn ? answer.pushes : []), ...(await c.sync())]);
      const books = await readBooks(observers, n, want.state.sessions.map((s: Json) => fill(s.app_session_id, n)));
      const expected = fillJson(want, n);
      for (const check of [
        () => checkReply(expected.response, answer.reply),
        ...[...conns.keys()].map((name) => () =>
          checkPushes(name, expected.notifications.filter((p: Json) => p.conn === name), pushes.get(name)!)),
        () => checkBooks(expected.state, books),
      ]) {
        try { check(); } catch (e) {
          if (!(e instanceof Finding)) throw e;
          if (RANK.indexOf(e.verdict) > RANK.indexOf(worst)) { worst = e.verdict; note = `step ${i} (${kind}): ${e.message}`; }
        }
      }
    }
    return { verdict: worst, note };
  } catch (e) {
    return { verdict: e instanceof Finding ? e.verdict : "ERROR", note: (e as Error).message };
  } finally {
    for (const c of [...conns.values(), ...observers.values()]) c.close();
  }
}

// ---------------------------------------------------------------------------------------------
function vectorFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).sort().flatMap((f) => f === "fillers" || f === "schema.json" ? [] : vectorFiles(join(path, f)))
    .filter((f) => f.endsWith(".json"));
}

/** `nitrocert serve --control`: JSON requests `{id, method, params}` answered `{id, result | error}`. */
async function controlInterface(url: string) {
  const conn = await Conn.open(url, 5000);
  let id = 0;
  return async (method: string, params: Json = {}) => {
    const { reply } = await conn.exchange(JSON.stringify({ id: ++id, method, params }));
    const answer = reply ? JSON.parse(reply.text) : null;
    if (!answer || answer.error) throw new Finding("ERROR", `control ${method}: ${reply?.text ?? "no answer"}`);
  };
}

async function main() {
  const args = process.argv.slice(2);
  const opt = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args.splice(i, 2)[1] : undefined; };
  const only: string[] = [];
  for (let id = opt("--only"); id; id = opt("--only")) only.push(id);
  const endpoint = opt("--endpoint"), profile = opt("--profile") ?? "clearnode-0.5.2";
  const fundCmd = opt("--fund-cmd"), control = opt("--control"), restartCmd = opt("--restart-cmd");
  const budget = Number(opt("--challenge-budget") ?? 800), timeoutMs = Number(opt("--timeout-ms") ?? 5000);
  const jsonOut = opt("--json");
  if (!endpoint || (!fundCmd && !control) || args.length === 0) {
    console.error("usage: consume.ts --endpoint WS_URL (--fund-cmd CMD | --control WS_URL) [--profile P] VECTORS...");
    process.exit(2);
  }
  const controlled = control ? await controlInterface(control) : undefined;
  const fund = controlled ? (wallet: string, asset: string, amount: string) => controlled("fund", { wallet, asset, amount }) : async (wallet: string, asset: string, amount: string) => {
    execSync(fundCmd!.replace("{wallet}", wallet).replace("{asset}", asset).replace("{amount}", amount), { stdio: "ignore", timeout: 30_000 });
  };
  const vectors = args.flatMap(vectorFiles).map((f) => JSON.parse(readFileSync(f, "utf8")))
    .filter((v) => only.length === 0 || only.includes(v.id));
  const verdicts: Record<string, Verdict> = {};
  const count: Record<string, number> = {};
  let challenges = 0;
  for (const v of vectors) {
    let result: { verdict: Verdict; note: string };
    if (v.format !== "nitrocert-vector/2") result = { verdict: "ERROR", note: `format ${v.format}` };
    else if (v.hooks?.length) result = { verdict: "SKIP", note: `needs ${v.hooks.join(", ")}` };
    else {
      // A broker holding a bounded number of pending challenges is restarted before it fills up.
      const handshakes = v.setup.identities.length + v.setup.connections.length + v.steps.length;
      if (challenges + handshakes > budget) {
        if (controlled) await controlled("reset"); // back to the start state, every connection closed
        else if (restartCmd) execSync(restartCmd, { stdio: "ignore" });
        challenges = 0;
      }
      challenges += handshakes;
      result = await runCase(v, { endpoint, profile, fund, timeoutMs });
    }
    verdicts[v.id] = result.verdict;
    count[result.verdict] = (count[result.verdict] ?? 0) + 1;
    console.log(`${result.verdict.padEnd(10)} ${v.id}${result.note ? `  — ${result.note}` : ""}`);
  }
  console.log(`${vectors.length} cases: ${Object.entries(count).map(([k, c]) => `${c} ${k}`).join(", ")}`);
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify(verdicts, null, 1));
  process.exit(Object.keys(count).every((k) => k === "PASS" || k === "SKIP") ? 0 : 1);
}

main().catch((e) => { console.error(e); process.exit(2); });
