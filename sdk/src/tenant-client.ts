import { TenantryError } from "./errors.ts";
import { RealtimeClient, type RealtimeOptions } from "./realtime.ts";
import type { components, paths } from "./schema.ts";
import { createTransport, paginate, unwrap, type ApiClient, type TransportOptions } from "./transport.ts";

type Schemas = components["schemas"];
export type MapRecord = Schemas["Record"];
export type WrittenRecord = Schemas["WrittenRecord"];
type RecordListQuery = NonNullable<paths["/v1/maps/{map}"]["get"]["parameters"]["query"]>;

export type TenantClientOptions = TransportOptions & ({ apiKey: string; token?: never } | { token: string; apiKey?: never });

export interface PutOptions {
  /** Write only if the record is at this version (412 `version_conflict` otherwise, also when it does not exist). */
  ifVersion?: number;
}

const record = (map: string, key: string) => ({ params: { path: { map, key } } });

/** The data plane, as one tenant: maps, secrets, realtime, and what the tenant may do. */
export function createTenantClient(options: TenantClientOptions) {
  const credential = options.apiKey ?? options.token;
  if (!credential) throw new TypeError("createTenantClient needs an apiKey or a token.");
  const api: ApiClient = createTransport(options, credential);

  const maps = {
    get: <T = unknown>(map: string, key: string) => unwrap(api.GET("/v1/maps/{map}/{key}", record(map, key))) as Promise<MapRecord & { value: T }>,
    /** null when the key does not exist. */
    find: async <T = unknown>(map: string, key: string): Promise<(MapRecord & { value: T }) | null> => {
      try {
        return await maps.get<T>(map, key);
      } catch (error) {
        if (error instanceof TenantryError && error.code === "not_found") return null;
        throw error;
      }
    },
    put: (map: string, key: string, value: unknown, opts: PutOptions = {}) =>
      unwrap(
        api.PUT("/v1/maps/{map}/{key}", {
          ...record(map, key),
          body: value as never,
          // The body is the value itself, `null` and strings included.
          bodySerializer: (body: unknown) => JSON.stringify(body),
          headers: opts.ifVersion !== undefined ? { "If-Match": `"${opts.ifVersion}"` } : {},
        }),
      ),
    delete: (map: string, key: string) => unwrap(api.DELETE("/v1/maps/{map}/{key}", record(map, key))).then(() => undefined),
    list: (map: string, query: RecordListQuery = {}) => unwrap(api.GET("/v1/maps/{map}", { params: { path: { map }, query } })),
    /** Every record of the map (or of a prefix), in key order, page by page. */
    iterate: (map: string, query: Omit<RecordListQuery, "cursor"> = {}) =>
      paginate((cursor) => maps.list(map, { ...query, ...(cursor ? { cursor } : {}) })),
    /** The tenant's maps with their record counts and bytes. */
    index: () => unwrap(api.GET("/v1/maps")),
    /**
     * Read, change, write with If-Match; on a concurrent write, read again and retry. `change` gets
     * the current value (undefined when absent) and returns the new one.
     */
    update: async <T>(map: string, key: string, change: (current: T | undefined) => T, opts: { attempts?: number } = {}): Promise<WrittenRecord> => {
      const attempts = opts.attempts ?? 5;
      for (let attempt = 1; ; attempt += 1) {
        const current = await maps.find<T>(map, key);
        try {
          if (current) return await maps.put(map, key, change(current.value), { ifVersion: current.version });
          // Not there yet: the API has no create-only write, so the first writer of a new key wins as a plain PUT.
          return await maps.put(map, key, change(undefined));
        } catch (error) {
          if (!(error instanceof TenantryError && error.code === "version_conflict") || attempt >= attempts) throw error;
        }
      }
    },
  };

  const secrets = {
    put: (name: string, value: string) => unwrap(api.PUT("/v1/secrets/{name}", { params: { path: { name } }, body: { value } })),
    get: (name: string) => unwrap(api.GET("/v1/secrets/{name}", { params: { path: { name } } })),
    list: () => unwrap(api.GET("/v1/secrets")),
    delete: (name: string) => unwrap(api.DELETE("/v1/secrets/{name}", { params: { path: { name } } })).then(() => undefined),
  };

  const realtime = {
    /** A single-use ticket (60 s) for opening a WebSocket where headers cannot be set (browsers). */
    ticket: () => unwrap(api.POST("/v1/realtime/tickets")),
    /** Opens a realtime connection that reconnects by itself and keeps its subscriptions. */
    connect: async (realtimeOptions: RealtimeOptions = {}): Promise<RealtimeClient> => {
      const client = new RealtimeClient(options.baseUrl, async () => (await realtime.ticket()).ticket, realtimeOptions);
      await client.open();
      return client;
    },
  };

  return {
    me: () => unwrap(api.GET("/v1/me")),
    maps,
    secrets,
    realtime,
    /** The typed openapi-fetch client, for any route the helpers above do not cover. */
    api,
  };
}

export type TenantClient = ReturnType<typeof createTenantClient>;
