import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { readBesideAdmission } from "../../edge/admitted-read.ts";
import { countOps } from "../../edge/usage-meter.ts";
import type { TenantContext } from "../../core/tenant-context.ts";
import type { AppEnv } from "../../http/app-env.ts";
import { ApiError } from "../../http/problem.ts";
import { createRouter, TENANT_SECURITY } from "../../http/router.ts";
import { problems } from "../../http/schemas/problem.ts";
import { mapFromPath, prefixFromQuery, recordFromPath } from "./address.ts";
import {
  IfMatchHeaders,
  JsonValue,
  ListQuery,
  MapListSchema,
  MapParams,
  RecordPageSchema,
  RecordParams,
  RecordSchema,
  WrittenRecordSchema,
} from "./api-schemas.ts";
import { publishMapChange, type MapChange } from "./change-events.ts";
import { etagOf, parseIfMatch } from "./etag.ts";
import { decodeListCursor, encodeListCursor } from "./key-range.ts";
import { mapStore } from "./store.ts";
import { prepareValue } from "./value.ts";
import { log } from "../../lib/log.ts";

const ETagHeader = z.object({ ETag: z.string().openapi({ description: 'The record\'s version as a strong tag: `"3"`.' }) });
const tags = ["maps"];

const putRoute = createRoute({
  method: "put",
  path: "/v1/maps/{map}/{key}",
  operationId: "maps.put",
  tags,
  summary: "Store a JSON value under a key (creates version 1, then +1 per write)",
  security: TENANT_SECURITY,
  request: {
    params: RecordParams,
    headers: IfMatchHeaders,
    body: { required: true, description: "The JSON value itself.", content: { "application/json": { schema: JsonValue } } },
  },
  responses: {
    200: { description: "Stored", headers: ETagHeader, content: { "application/json": { schema: WrittenRecordSchema } } },
    ...problems(400, 401, 403, 412, 413, 415, 429, 503),
  },
});

const getRoute = createRoute({
  method: "get",
  path: "/v1/maps/{map}/{key}",
  operationId: "maps.get",
  tags,
  summary: "Read a key's value",
  security: TENANT_SECURITY,
  request: { params: RecordParams },
  responses: {
    200: { description: "The record", headers: ETagHeader, content: { "application/json": { schema: RecordSchema } } },
    ...problems(400, 401, 403, 404, 429, 503),
  },
});

const deleteRoute = createRoute({
  method: "delete",
  path: "/v1/maps/{map}/{key}",
  operationId: "maps.delete",
  tags,
  summary: "Delete a key",
  security: TENANT_SECURITY,
  request: { params: RecordParams, headers: IfMatchHeaders },
  responses: {
    204: { description: "Deleted" },
    ...problems(400, 401, 403, 404, 412, 429, 503),
  },
});

const listRoute = createRoute({
  method: "get",
  path: "/v1/maps/{map}",
  operationId: "maps.list",
  tags,
  summary: "List a map's records in byte order of the key",
  security: TENANT_SECURITY,
  request: { params: MapParams, query: ListQuery },
  responses: {
    200: { description: "A page of records", content: { "application/json": { schema: RecordPageSchema } } },
    ...problems(400, 401, 403, 429, 503),
  },
});

const mapsRoute = createRoute({
  method: "get",
  path: "/v1/maps",
  operationId: "maps.index",
  tags,
  summary: "The tenant's maps with their record counts and bytes",
  security: TENANT_SECURITY,
  responses: {
    200: { description: "Every map with at least one record", content: { "application/json": { schema: MapListSchema } } },
    ...problems(401, 403, 429, 503),
  },
});

const rawUrl = (c: Context<AppEnv>) => new URL(c.req.url);
const storeOf = (c: Context<AppEnv>, tenant: TenantContext = c.get("tenant")) => mapStore(() => c.get("services").db, tenant, c.get("services").dbHttp);

function publishAfterCommit(c: Context<AppEnv>, change: Omit<MapChange, "tenantId">): void {
  const tenant = c.get("tenant");
  c.executionCtx.waitUntil(
    publishMapChange(c.env, tenant, { tenantId: tenant.id, ...change }).catch((error: unknown) =>
      log.error("map change publish failed", { requestId: c.get("requestId"), tenantId: c.get("tenant").id, error }),
    ),
  );
}

function methodNotAllowed(allow: string): never {
  throw new ApiError("method_not_allowed", `This path allows ${allow}.`, { headers: { Allow: allow } });
}

export const mapRoutes = createRouter()
  .openapi(putRoute, async (c) => {
    const address = recordFromPath(rawUrl(c).pathname);
    const ifMatch = parseIfMatch(c.req.header("If-Match"));
    const value = prepareValue(await c.req.text(), c.get("tenant").limits.maxValueBytes);
    const written = await storeOf(c).put(address, value, ifMatch);
    countOps(c, { writes: 1 });
    publishAfterCommit(c, { ...address, op: "set", value: value.value, version: written.version });
    c.header("ETag", etagOf(written.version));
    return c.json({ ...address, version: written.version, updatedAt: written.updatedAt.toISOString() }, 200);
  })
  .openapi(getRoute, async (c) => {
    const address = recordFromPath(rawUrl(c).pathname);
    const record = await readBesideAdmission(c, (tenant) => storeOf(c, tenant).get(address));
    countOps(c, { reads: 1 });
    if (!record) throw new ApiError("not_found", "No such key in this map.");
    c.header("ETag", etagOf(record.version));
    return c.json({ ...address, value: record.value, version: record.version, updatedAt: record.updatedAt.toISOString() }, 200);
  })
  .openapi(deleteRoute, async (c) => {
    const address = recordFromPath(rawUrl(c).pathname);
    const ifMatch = parseIfMatch(c.req.header("If-Match"));
    const removed = await storeOf(c).delete(address, ifMatch);
    countOps(c, { writes: 1 });
    // A deletion is a write: its event carries the version after the last one, so newer-wins clients apply it.
    publishAfterCommit(c, { ...address, op: "delete", value: null, version: removed.version + 1 });
    return c.body(null, 204);
  })
  .openapi(listRoute, async (c) => {
    const url = rawUrl(c);
    const map = mapFromPath(url.pathname);
    const prefix = prefixFromQuery(url.search);
    const { limit, cursor } = c.req.valid("query");
    const after = decodeListCursor(cursor, map);
    const page = await readBesideAdmission(c, (tenant) => storeOf(c, tenant).list(map, { prefix, after, limit }));
    countOps(c, { reads: 1 });
    const last = page.records.at(-1);
    return c.json(
      {
        data: page.records.map((record) => ({ key: record.key, value: record.value, version: record.version, updatedAt: record.updatedAt.toISOString() })),
        nextCursor: page.more && last ? encodeListCursor(map, last.key) : null,
      },
      200,
    );
  })
  .openapi(mapsRoute, async (c) => {
    const maps = await readBesideAdmission(c, (tenant) => storeOf(c, tenant).maps());
    countOps(c, { reads: 1 });
    return c.json({ data: maps }, 200);
  })
  // Anything else under /v1/maps: a bad address is a 400 (as on the routes above), another method a 405.
  .all("/v1/maps/*", (c) => {
    const pathname = rawUrl(c).pathname;
    if (pathname === "/v1/maps") return methodNotAllowed("GET");
    if (pathname.slice("/v1/maps/".length).includes("/")) {
      recordFromPath(pathname);
      return methodNotAllowed("GET, PUT, DELETE");
    }
    mapFromPath(pathname);
    return methodNotAllowed("GET");
  });
