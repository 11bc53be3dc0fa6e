// The Postgres wire counter behind the capacity model's statements, transactions and held round
// trips (scripts/stack/pg-wire-stats.ts), fed byte streams built by hand.
import { describe, expect, it } from "vitest";
import { newPgWireStats, pgWireCounter } from "../../scripts/stack/pg-wire-stats.ts";

/** A typed message: 1 type byte, a 4-byte length (itself included), the body. */
function message(type: string, body: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, "latin1");
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

function untyped(code: number, rest: Buffer = Buffer.alloc(0)): Buffer {
  const packet = Buffer.alloc(8);
  packet.writeInt32BE(8 + rest.length, 0);
  packet.writeInt32BE(code, 4);
  return Buffer.concat([packet, rest]);
}

const startup = () => untyped(196608, Buffer.from("user\0app\0\0"));
const query = (sql: string) => message("Q", Buffer.from(`${sql}\0`));
const ready = (status: "I" | "T" | "E") => message("Z", Buffer.from(status, "latin1"));
const extended = () => Buffer.concat([message("P", Buffer.from("\0select 1\0\0\0")), message("B", Buffer.alloc(8)), message("E", Buffer.alloc(5)), message("S")]);

describe("Postgres wire counter", () => {
  it("counts statements, transactions and the round trips held inside one", () => {
    const stats = newPgWireStats();
    const wire = pgWireCounter(stats);
    wire.fromClient(startup());
    wire.fromServer(Buffer.concat([message("R", Buffer.alloc(4)), ready("I")])); // login: not a transaction
    wire.fromClient(query("begin"));
    wire.fromServer(ready("T"));
    wire.fromClient(extended()); // one Execute, inside the transaction
    wire.fromServer(Buffer.concat([message("C", Buffer.from("SELECT 1\0")), ready("T")]));
    wire.fromClient(query("commit")); // still inside until the server says idle
    wire.fromServer(ready("I"));
    wire.fromClient(query("select 2")); // a statement of its own: one more transaction
    wire.fromServer(ready("I"));
    expect(stats).toEqual({ connections: 1, clientMessages: 5, httpRequests: 0, statements: 4, transactions: 2, heldRoundTrips: 2 });
  });

  it("reassembles messages split across chunks and skips large bodies", () => {
    const stats = newPgWireStats();
    const wire = pgWireCounter(stats);
    const client = Buffer.concat([startup(), query("x".repeat(100_000)), extended()]);
    for (let at = 0; at < client.length; at += 3) wire.fromClient(client.subarray(at, at + 3));
    const server = Buffer.concat([ready("I"), message("D", Buffer.alloc(200_000)), ready("I")]);
    for (let at = 0; at < server.length; at += 7) wire.fromServer(server.subarray(at, at + 7));
    expect(stats.statements).toBe(2);
    expect(stats.transactions).toBe(1);
  });

  it("passes an SSL request and the server's one-byte answer", () => {
    const stats = newPgWireStats();
    const wire = pgWireCounter(stats);
    wire.fromClient(untyped(80877103));
    wire.fromServer(Buffer.from("N"));
    wire.fromClient(startup());
    wire.fromServer(ready("I"));
    wire.fromClient(query("select 1"));
    wire.fromServer(ready("I"));
    expect(stats.statements).toBe(1);
    expect(stats.transactions).toBe(1);
  });
});
