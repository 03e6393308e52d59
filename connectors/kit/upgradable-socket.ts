/**
 * A node-style duplex over workerd's TCP socket (`cloudflare:sockets`) that can switch to TLS in place, for database
 * protocols that negotiate TLS inside the plaintext connection (MySQL's SSLRequest). Drivers written for node:net
 * keep their listeners and writes on this one object across the switch; workerd does the TLS handshake and checks
 * the certificate against its trust store and the host name.
 */
import { Buffer } from "node:buffer";
import { EventEmitter } from "node:events";
import { connect } from "cloudflare:sockets";

export class UpgradableSocket extends EventEmitter {
  private socket: Socket;
  private writer: WritableStreamDefaultWriter<Uint8Array>;
  private reader: ReadableStreamDefaultReader<Uint8Array>;
  /** The last write in flight: the switch to TLS waits for it, so the request asking for TLS leaves in plaintext. */
  private lastWrite: Promise<unknown> = Promise.resolve();
  private upgrading = false;
  destroyed = false;

  /**
   * `beforeTls`, when the connection will switch: given the bytes received so far, whether the server has said all
   * it says in plaintext. Reading stops there, because workerd switches only a socket with no read pending.
   */
  constructor(
    private readonly hostname: string,
    port: number,
    beforeTls?: (received: Buffer) => boolean,
  ) {
    super();
    this.socket = connect({ hostname, port }, { secureTransport: "starttls", allowHalfOpen: false });
    this.writer = this.socket.writable.getWriter();
    this.reader = this.socket.readable.getReader();
    this.socket.opened.then(
      () => this.emit("connect"),
      (error: unknown) => this.emit("error", error),
    );
    void this.pump(this.reader, beforeTls);
  }

  write(data: Uint8Array | string, callbackOrEncoding?: unknown, maybeCallback?: unknown): boolean {
    const callback = [callbackOrEncoding, maybeCallback].find((c): c is (error?: unknown) => void => typeof c === "function");
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
    this.lastWrite = this.writer.write(bytes).then(
      () => callback?.(),
      (error: unknown) => {
        callback?.(error);
        this.emit("error", error);
      },
    );
    return true;
  }

  /** Switches the connection to TLS once every write so far has left; reads and writes continue on this object. */
  async startTls(): Promise<void> {
    await this.lastWrite;
    this.upgrading = true;
    this.writer.releaseLock();
    this.reader.releaseLock();
    this.socket = this.socket.startTls({ expectedServerHostname: this.hostname });
    this.writer = this.socket.writable.getWriter();
    this.reader = this.socket.readable.getReader();
    this.upgrading = false;
    void this.pump(this.reader);
    await this.socket.opened;
  }

  end(): this {
    void this.lastWrite.finally(() => this.socket.close().catch(() => undefined)).then(() => this.emit("close"));
    return this;
  }

  destroy(): this {
    this.destroyed = true;
    return this.end();
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  private async pump(reader: ReadableStreamDefaultReader<Uint8Array>, stopAfter?: (received: Buffer) => boolean): Promise<void> {
    let received = Buffer.alloc(0);
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        const chunk = Buffer.from(value);
        this.emit("data", chunk);
        if (stopAfter) {
          received = Buffer.concat([received, chunk]);
          if (stopAfter(received)) return;
        }
      }
      if (!this.upgrading && reader === this.reader) this.emit("end");
    } catch (error) {
      if (!this.upgrading && reader === this.reader) this.emit("error", error);
    }
  }
}
