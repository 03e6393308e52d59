/**
 * A PostgreSQL server that knows no password: it speaks the v3 startup exchange
 * (https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP), refuses TLS ('N'), asks for
 * a cleartext password and answers any password with FATAL 28P01, as a server does for a wrong one. The real test
 * server trusts 127.0.0.1, so it cannot produce that failure. Runs in Node; register `startPostgresAuthFake` in
 * test/fakes/index.ts and tests find it at `JSON.parse(env.FAKE_PORTS)["postgres-auth"]`.
 */
import { type AddressInfo, type Socket, createServer } from "node:net";
import type { RunningFake } from "../index";

const SSL_REQUEST = 80877103;
const PROTOCOL_3 = 196608;

function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, "latin1");
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

function errorResponse(fields: Record<string, string>): Buffer {
  const parts = Object.entries(fields).map(([code, value]) => Buffer.from(`${code}${value}\0`, "utf8"));
  return message("E", Buffer.concat([...parts, Buffer.from([0])]));
}

function serve(socket: Socket): void {
  let buffered = Buffer.alloc(0);
  let user = "";
  let started = false;
  socket.on("error", () => undefined);
  socket.on("data", (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      if (!started) {
        if (buffered.length < 8) return;
        const length = buffered.readInt32BE(0);
        if (buffered.length < length) return;
        const code = buffered.readInt32BE(4);
        const body = buffered.subarray(8, length);
        buffered = buffered.subarray(length);
        if (code === SSL_REQUEST) {
          socket.write("N");
          continue;
        }
        if (code !== PROTOCOL_3) return void socket.destroy();
        const params = body.toString("utf8").split("\0");
        user = params[params.indexOf("user") + 1] ?? "";
        started = true;
        const ask = Buffer.alloc(4);
        ask.writeInt32BE(3); // AuthenticationCleartextPassword
        socket.write(message("R", ask));
        continue;
      }
      if (buffered.length < 5) return;
      const length = buffered.readInt32BE(1);
      if (buffered.length < length + 1) return;
      const type = String.fromCharCode(buffered[0] as number);
      buffered = buffered.subarray(length + 1);
      if (type === "p") {
        socket.end(errorResponse({ S: "FATAL", V: "FATAL", C: "28P01", M: `password authentication failed for user "${user}"` }));
      }
      return;
    }
  });
}

export async function startPostgresAuthFake(): Promise<RunningFake> {
  const server = createServer(serve);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    name: "postgres-auth",
    port: (server.address() as AddressInfo).port,
    hosts: [],
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
