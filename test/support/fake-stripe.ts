// A local stand-in for Stripe's `POST /v1/billing/meter_events`: it records every request, checks
// it against Stripe's documented rules, and answers as Stripe does (the meter event object, a 400
// error body, or a 429). An identifier it already accepted is refused like Stripe refuses it.
import { createServer, type IncomingMessage, type Server } from "node:http";
import { freePort } from "../../scripts/stack/ports.js";

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  params: Record<string, string>;
  /** Rules of Stripe's API this request broke (empty for a well-formed one). */
  violations: string[];
  answered: number;
}

const MAX_AGE_S = 35 * 24 * 3600;
const MAX_AHEAD_S = 5 * 60;
const KNOWN_PARAMS = new Set(["event_name", "identifier", "timestamp", "payload[stripe_customer_id]", "payload[value]"]);

export class FakeStripe {
  readonly requests: RecordedRequest[] = [];
  /** identifier → the event Stripe holds. */
  readonly accepted = new Map<string, Record<string, string>>();
  /** Customers Stripe does not know: their events get a 400 resource_missing. */
  readonly unknownCustomers = new Set<string>();
  /** The next this-many requests are answered 429. */
  rateLimitNext = 0;
  private server: Server | undefined;
  url = "";

  constructor(private readonly secretKey: string) {}

  async start(): Promise<void> {
    const port = await freePort();
    this.server = createServer((req, res) => {
      void readBody(req).then((body) => {
        const { status, payload, headers } = this.answer(req, body);
        res.writeHead(status, { "Content-Type": "application/json", "Request-Id": `req_${this.requests.length}`, ...headers });
        res.end(JSON.stringify(payload));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  reset(): void {
    this.requests.length = 0;
    this.unknownCustomers.clear();
    this.rateLimitNext = 0;
  }

  requestsFor(identifier: string): RecordedRequest[] {
    return this.requests.filter((request) => request.params.identifier === identifier);
  }

  private answer(req: IncomingMessage, body: string): { status: number; payload: unknown; headers?: Record<string, string> } {
    const contentType = req.headers["content-type"];
    const params = Object.fromEntries(new URLSearchParams(body));
    const violations = checkRules(req, contentType, body, params, this.secretKey);
    const recorded: RecordedRequest = { method: req.method ?? "", path: req.url ?? "", authorization: req.headers.authorization, contentType, params, violations, answered: 0 };
    this.requests.push(recorded);
    const reply = (status: number, payload: unknown, headers?: Record<string, string>) => {
      recorded.answered = status;
      return { status, payload, ...(headers ? { headers } : {}) };
    };
    if (req.headers.authorization !== `Bearer ${this.secretKey}`) {
      return reply(401, { error: { type: "invalid_request_error", message: "Invalid API Key provided." } });
    }
    if (violations.length > 0) {
      return reply(400, { error: { type: "invalid_request_error", code: "parameter_invalid", message: violations.join("; ") } });
    }
    if (this.rateLimitNext > 0) {
      this.rateLimitNext--;
      return reply(429, { error: { type: "rate_limit_error", code: "rate_limit", message: "Request rate limit exceeded." } }, { "Stripe-Should-Retry": "true" });
    }
    const customer = params["payload[stripe_customer_id]"]!;
    if (this.unknownCustomers.has(customer)) {
      return reply(400, {
        error: { type: "invalid_request_error", code: "resource_missing", param: "payload[stripe_customer_id]", message: `No such customer: '${customer}'` },
      }, { "Stripe-Should-Retry": "false" });
    }
    const identifier = params.identifier!;
    if (this.accepted.has(identifier)) {
      return reply(400, { error: { type: "invalid_request_error", message: `An event already exists with identifier ${identifier}.` } }, { "Stripe-Should-Retry": "false" });
    }
    this.accepted.set(identifier, params);
    return reply(200, {
      object: "billing.meter_event",
      created: Math.floor(Date.now() / 1000),
      event_name: params.event_name,
      identifier,
      livemode: false,
      payload: { stripe_customer_id: customer, value: params["payload[value]"] },
      timestamp: Number(params.timestamp),
    });
  }
}

/** Stripe's documented rules for creating a meter event. */
function checkRules(req: IncomingMessage, contentType: string | undefined, body: string, params: Record<string, string>, _key: string): string[] {
  const violations: string[] = [];
  if (req.method !== "POST" || req.url !== "/v1/billing/meter_events") violations.push(`unexpected ${req.method} ${req.url}`);
  if (!contentType?.startsWith("application/x-www-form-urlencoded")) violations.push(`body is not form-encoded (${contentType})`);
  if (body.trim().startsWith("{")) violations.push("body is JSON, not form-encoded");
  for (const name of Object.keys(params)) if (!KNOWN_PARAMS.has(name)) violations.push(`Received unknown parameter: ${name}`);
  for (const required of ["event_name", "payload[stripe_customer_id]", "payload[value]"]) {
    if (!params[required]) violations.push(`Missing required param: ${required}`);
  }
  if ((params.event_name ?? "").length > 100) violations.push("event_name is over 100 characters");
  if (params.identifier !== undefined && (params.identifier.length === 0 || params.identifier.length > 100)) {
    violations.push(`identifier must be 1–100 characters (${params.identifier.length})`);
  }
  if (!/^\d+$/.test(params["payload[value]"] ?? "")) violations.push(`payload[value] is not a whole number: ${params["payload[value]"]}`);
  if (params.timestamp !== undefined) {
    const timestamp = Number(params.timestamp);
    const now = Date.now() / 1000;
    if (!/^\d+$/.test(params.timestamp)) violations.push(`timestamp is not unix seconds: ${params.timestamp}`);
    else if (timestamp < now - MAX_AGE_S) violations.push("timestamp is more than 35 days old");
    else if (timestamp > now + MAX_AHEAD_S) violations.push("timestamp is more than 5 minutes in the future");
  }
  return violations;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => resolve(body));
    req.on("error", reject);
  });
}
