type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * RFC 7396 JSON merge patch: objects merge member by member, `null` removes a member, anything
 * else replaces. Built with Object.fromEntries so a `__proto__` member stays a plain member.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return patch;
  const result = new Map(Object.entries(isJsonObject(target) ? target : {}));
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) result.delete(name);
    else result.set(name, mergePatch(result.get(name), value));
  }
  return Object.fromEntries(result);
}

/** Top-level members a merge added or changed, and those it removed: what an audit entry shows. */
export function changedMembers(before: JsonObject, after: JsonObject): { set: string[]; removed: string[] } {
  const set = Object.keys(after).filter((name) => !Object.hasOwn(before, name) || JSON.stringify(before[name]) !== JSON.stringify(after[name]));
  const removed = Object.keys(before).filter((name) => !Object.hasOwn(after, name));
  return { set: set.sort(), removed: removed.sort() };
}
