// A WebSocket connection that never trusts the broker: every read has a timeout, every frame
// received is recorded. The WebSocket class is passed in so each SDK release runs with the `ws`
// pinned in its own folder.

export const READ_TIMEOUT_MS = 5000;
/** Frames above this size are recorded as a placeholder, never parsed (a hostile broker). */
export const MAX_FRAME_BYTES = 1 << 20;

export function resOf(text) {
  try {
    const j = JSON.parse(text);
    return Array.isArray(j.res) ? j.res : null;
  } catch {
    return null;
  }
}

export const methodOf = (text) => resOf(text)?.[1] ?? '?';

export class Conn {
  /**
   * @param label    names the connection in details (`A`, `B`)
   * @param url      ws:// URL of the broker
   * @param frames   shared array: every received frame is pushed as {conn, text}
   * @param WebSocket the `ws` class of the release under test
   */
  constructor(label, url, frames, WebSocket) {
    Object.assign(this, { label, url, frames, WebSocket });
    this.queue = [];
    this.waiter = null;
    this.closed = false;
    this.nextId = 1;
  }

  open(timeoutMs = READ_TIMEOUT_MS) {
    return new Promise((resolve, reject) => {
      const ws = new this.WebSocket(this.url, { handshakeTimeout: timeoutMs, maxPayload: MAX_FRAME_BYTES });
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
        this.frames.push({ conn: this.label, text });
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

  /** Reads frames until none arrives for quietMs (at most maxMs in all); never throws. */
  async drain(quietMs = 200, maxMs = 1500) {
    const end = Date.now() + maxMs;
    while (Date.now() < end) {
      try { await this.next(Math.min(quietMs, Math.max(1, end - Date.now()))); } catch { break; }
    }
  }

  id() { return this.nextId++; }

  /**
   * Sends a request frame and reads up to its response: the first frame whose id is not 0.
   * Returns {response, res}. Notifications read on the way stay in `frames`.
   */
  async request(frame, timeoutMs = READ_TIMEOUT_MS) {
    const [id, method] = JSON.parse(frame).req;
    this.ws.send(frame);
    const end = Date.now() + timeoutMs;
    for (;;) {
      const left = end - Date.now();
      if (left <= 0) throw new Error(`${this.label}: no response to ${method} within ${timeoutMs} ms`);
      const f = await this.next(left);
      const res = resOf(f);
      if (res && res[0] !== 0) {
        if (res[0] !== id) throw new Error(`${this.label}: response id ${res[0]} to request ${id} (${method})`);
        return { response: f, res };
      }
    }
  }

  close() { try { this.ws?.close(); } catch { /* already closed */ } }
}
