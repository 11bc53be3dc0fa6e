import { z } from "zod";
import { MAP_NAME, keyProblem, newKeyProblem } from "../storage/maps/names.ts";

/** Client → server frames of the realtime protocol (JSON text). */
const FrameId = z.union([z.number().finite(), z.string().max(128)]);
const MapName = z.string().regex(MAP_NAME, "Map names are 1 to 64 characters of A-Z, a-z, 0-9, _ and -.");
const keyChecked = (problemOf: (key: string) => string | undefined) =>
  z.string().superRefine((key, ctx) => {
    const problem = problemOf(key);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });
const Key = keyChecked(keyProblem);
/** A `set` may create the record: its key must be one REST can address too. */
const NewKey = keyChecked(newKeyProblem);

const Frame = z.discriminatedUnion("op", [
  z.strictObject({ id: FrameId, op: z.literal("subscribe"), map: MapName }),
  z.strictObject({ id: FrameId, op: z.literal("unsubscribe"), map: MapName }),
  z.strictObject({ id: FrameId, op: z.literal("set"), map: MapName, key: NewKey, value: z.json() }),
  z.strictObject({ id: FrameId, op: z.literal("get"), map: MapName, key: Key }),
  z.strictObject({ id: FrameId, op: z.literal("delete"), map: MapName, key: Key }),
]);

export type ClientFrame = z.infer<typeof Frame>;
export type DataFrame = Extract<ClientFrame, { op: "set" | "get" | "delete" }>;
export type FrameIdValue = z.infer<typeof FrameId>;

export interface ErrorBody {
  code: string;
  message: string;
  retryAfterMs?: number;
}

export type ParsedFrame = { ok: true; frame: ClientFrame } | { ok: false; id: FrameIdValue | null; error: ErrorBody };

/** Frames over this size are refused before parsing (values are bounded by the plan anyway). */
export const MAX_FRAME_BYTES = 2 * 1024 * 1024;

export function parseFrame(data: string | ArrayBuffer): ParsedFrame {
  if (typeof data !== "string") return invalid(null, "Frames are JSON text, not binary.");
  if (data.length > MAX_FRAME_BYTES) return { ok: false, id: null, error: { code: "payload_too_large", message: `Frames are at most ${MAX_FRAME_BYTES} bytes.` } };
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return invalid(null, "The frame is not valid JSON.");
  }
  const id = json && typeof json === "object" && !Array.isArray(json) ? FrameId.safeParse((json as { id?: unknown }).id) : undefined;
  const result = Frame.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
    return invalid(id?.success ? id.data : null, `${where}${issue?.message ?? "Invalid frame."}`);
  }
  return { ok: true, frame: result.data };
}

function invalid(id: FrameIdValue | null, message: string): ParsedFrame {
  return { ok: false, id, error: { code: "invalid_request", message } };
}

export function replyOk(id: FrameIdValue, result: unknown): string {
  return JSON.stringify({ id, ok: true, result });
}

export function replyError(id: FrameIdValue | null, error: ErrorBody): string {
  return JSON.stringify({ id, ok: false, error });
}

export interface ChangeEvent {
  map: string;
  key: string;
  op: "set" | "delete";
  value: unknown;
  version: number;
}

export function changeEvent(change: ChangeEvent): string {
  return JSON.stringify({ event: "change", map: change.map, key: change.key, op: change.op, value: change.value, version: change.version });
}
