import { z } from "@hono/zod-openapi";
import { MAP_NAME, MAX_KEY_CODE_POINTS } from "./names.ts";

export const JsonValue = z.unknown().openapi("JsonValue", {
  description:
    "Any JSON value (object, array, string, number, boolean or null), at most `maxValueBytes` UTF-8 bytes as compact JSON " +
    "(whitespace in the body does not count). Stored as Postgres jsonb: object member order is not kept, numbers are " +
    "IEEE-754 doubles; strings may not contain U+0000 or unpaired surrogates, and nesting stops at 512 levels (400).",
});

const MapName = z.string().regex(MAP_NAME).openapi({ param: { name: "map", in: "path" }, example: "todos" });

export const MapParams = z.object({ map: MapName });

export const RecordParams = z.object({
  map: MapName,
  key: z
    .string()
    .min(1)
    .openapi({
      param: { name: "key", in: "path" },
      example: "user%2F42",
      description:
        `1 to ${MAX_KEY_CODE_POINTS} Unicode code points after percent-decoding, no control characters. The key is exactly one ` +
        "path segment, percent-decoded once: encode it with encodeURIComponent, so `/` travels as `%2F`. A path with more " +
        "segments is 400; a malformed percent-encoding is 400. Keys `.` and `..` cannot be addressed (URL normalisation), " +
          "so no record is made under them anywhere (a realtime `set` or an import of one is refused too).",
    }),
});

export const IfMatchHeaders = z.object({
  "if-match": z
    .string()
    .optional()
    .openapi({ description: 'Write or delete only if the record exists at this version: `"3"` (as in ETag), a list, or `*`. Otherwise 412.' }),
});

export const ListQuery = z.object({
  prefix: z.string().optional().openapi({ description: "Only keys starting with this text, taken literally (no wildcards)." }),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(4096).optional().openapi({ description: "`nextCursor` of the previous page." }),
});

const UpdatedAt = z.string().openapi({ format: "date-time" });

export const WrittenRecordSchema = z
  .object({ map: z.string(), key: z.string(), version: z.number().int(), updatedAt: UpdatedAt })
  .openapi("WrittenRecord");

export const RecordSchema = z
  .object({ map: z.string(), key: z.string(), value: JsonValue, version: z.number().int(), updatedAt: UpdatedAt })
  .openapi("Record");

export const RecordPageSchema = z
  .object({
    data: z.array(z.object({ key: z.string(), value: JsonValue, version: z.number().int(), updatedAt: UpdatedAt })),
    nextCursor: z.string().nullable(),
  })
  .openapi("RecordPage", {
    description: "Ascending byte order of the UTF-8 key. A page may hold fewer than `limit` records (at most 4 MiB of them); `nextCursor` is null on the last page.",
  });

export const MapListSchema = z
  .object({ data: z.array(z.object({ name: z.string(), count: z.number().int(), bytes: z.number().int() })) })
  .openapi("MapList", { description: "`bytes`: UTF-8 bytes of every key and of every value as compact JSON." });
