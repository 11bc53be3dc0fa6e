import { call } from "./api.ts";

/** One operation of the served OpenAPI document, as the tests that walk every route see it. */
export interface Operation {
  method: string;
  path: string;
  operationId: string | undefined;
  security: Array<Record<string, string[]>> | undefined;
  queryParams: string[];
  bodyProperties: string[] | undefined;
  takesJsonBody: boolean;
  raw: Record<string, any>;
}

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"];

export async function fetchOpenApi(): Promise<Record<string, any>> {
  const response = await call("GET", "/openapi.json");
  if (response.status !== 200) throw new Error(`GET /openapi.json: ${response.status} ${response.text.slice(0, 300)}`);
  return response.body;
}

function resolve(doc: Record<string, any>, schema: any): any {
  const ref: string | undefined = schema?.$ref;
  if (!ref?.startsWith("#/")) return schema;
  return ref
    .slice(2)
    .split("/")
    .reduce((node: any, part) => node?.[part.replaceAll("~1", "/").replaceAll("~0", "~")], doc);
}

export function operationsOf(doc: Record<string, any>): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries<Record<string, any>>(doc.paths ?? {})) {
    for (const method of METHODS) {
      const raw = item[method];
      if (!raw) continue;
      const parameters: any[] = [...(item.parameters ?? []), ...(raw.parameters ?? [])].map((p) => resolve(doc, p));
      const jsonSchema = resolve(doc, raw.requestBody?.content?.["application/json"]?.schema);
      out.push({
        method: method.toUpperCase(),
        path,
        operationId: raw.operationId,
        security: raw.security,
        queryParams: parameters.filter((p) => p.in === "query").map((p) => p.name),
        bodyProperties: jsonSchema?.properties ? Object.keys(jsonSchema.properties) : undefined,
        takesJsonBody: jsonSchema !== undefined,
        raw,
      });
    }
  }
  return out;
}

/** The path with each `{param}` replaced: by `values[param]` when given, else by `fallback`. */
export function fillPath(template: string, values: Record<string, string>, fallback = "x"): string {
  return template.replace(/\{([^}]+)\}/g, (_match, name: string) => values[name] ?? fallback);
}

export function pathParams(template: string): string[] {
  return [...template.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]!);
}

/** The credential plane an operation's `security` names: admin, tenant, or none (public). */
export function planeOf(operation: Operation): "admin" | "tenant" | "public" {
  const schemes = (operation.security ?? []).flatMap((requirement) => Object.keys(requirement));
  if (schemes.length === 0) return "public";
  return schemes.includes("adminToken") ? "admin" : "tenant";
}
