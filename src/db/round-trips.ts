import { Client, type NeonQueryFunction } from "@neondatabase/serverless";

/** Whoever counts a request's database round trips (the request's `RequestTimer`). */
export interface DbTripSink {
  trip(destination: "db", ms?: number): void;
  addTripTime(destination: "db", ms: number): void;
}

type WebSocketLike = {
  send(data: unknown): void;
  addEventListener(type: string, listener: () => void): void;
};

/**
 * A WebSocket constructor for the Neon driver that counts round trips as the conversation's turns:
 * the opening handshake is one, and every send made once the server has answered the previous one
 * starts another (sends before any answer travel together: pipelined, one trip).
 */
function countingWebSocket(sink: DbTripSink): new (url: string) => WebSocketLike {
  return function CountingWebSocket(url: string) {
    const ws = new WebSocket(url) as unknown as WebSocketLike;
    let flightStartedAt: number | undefined = performance.now();
    sink.trip("db");
    const answered = () => {
      if (flightStartedAt === undefined) return;
      sink.addTripTime("db", performance.now() - flightStartedAt);
      flightStartedAt = undefined;
    };
    ws.addEventListener("open", answered);
    ws.addEventListener("message", answered);
    const send = ws.send.bind(ws);
    ws.send = (data: unknown) => {
      if (flightStartedAt === undefined) {
        flightStartedAt = performance.now();
        sink.trip("db");
      }
      send(data);
    };
    return ws;
  } as unknown as new (url: string) => WebSocketLike;
}

/** The driver's client class, its connections counted into `sink`. */
export function countingClient(sink: DbTripSink): typeof Client {
  const WebSocketCounted = countingWebSocket(sink);
  return class CountedClient extends Client {
    constructor(config: ConstructorParameters<typeof Client>[0]) {
      super(config);
      this.neonConfig.webSocketConstructor = WebSocketCounted as never;
    }
  };
}

/**
 * The same query function, each HTTP request it makes counted (and timed) as one round trip. A
 * query is sent when awaited (and not at all when it goes into a batch, which is sent whole).
 */
export function countedHttpClient(client: NeonQueryFunction<false, false>, trips: DbTripSink): NeonQueryFunction<false, false> {
  const timed = <T>(request: () => PromiseLike<T>): Promise<T> => {
    const started = performance.now();
    trips.trip("db");
    return Promise.resolve(request()).finally(() => trips.addTripTime("db", performance.now() - started));
  };
  const { query: unsentQuery, transaction: sendTransaction } = client;
  const query = ((...args: Parameters<typeof client.query>) => {
    const pending = unsentQuery(...args);
    const send = pending.then.bind(pending);
    Object.assign(pending, { then: (ok?: (value: unknown) => unknown, fail?: (error: unknown) => unknown) => timed(() => send()).then(ok, fail) });
    return pending;
  }) as typeof client.query;
  const transaction = ((...args: Parameters<typeof client.transaction>) => timed(() => sendTransaction(...args))) as typeof client.transaction;
  return Object.assign(client, { query, transaction });
}
