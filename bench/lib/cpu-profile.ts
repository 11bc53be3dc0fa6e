// `npm run bench -- --cpu-profile`: a V8 CPU profile of the Worker's isolate (workerd's
// `core:user:tenantry`, Durable Objects included) during each measured load run, through workerd's
// inspector (scripts/stack/isolate-inspector.ts). One .cpuprofile per variant (open it in Chrome
// DevTools' Performance tab) and the functions with the most self time in the log. Sampling slows
// the isolate: a profiled run's ratios are not figures of record.
import { writeFile } from "node:fs/promises";
import { IsolateSession } from "../../scripts/stack/isolate-inspector.ts";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  startTime: number;
  endTime: number;
}

const SAMPLING_INTERVAL_US = 250;

export class WorkerProfiler {
  private constructor(private readonly session: IsolateSession) {}

  static async open(inspectorPort: number): Promise<WorkerProfiler> {
    const response = await fetch(`http://127.0.0.1:${inspectorPort}/json`, { signal: AbortSignal.timeout(5000) });
    const targets = (await response.json()) as Array<{ title?: string; webSocketDebuggerUrl: string }>;
    const worker = targets.find((target) => target.title?.includes("core:user:"));
    if (!worker) throw new Error(`no Worker isolate among the inspector's targets: ${targets.map((t) => t.title).join(", ")}`);
    const session = await IsolateSession.open(worker.webSocketDebuggerUrl);
    await session.send("Profiler.enable");
    await session.send("Profiler.setSamplingInterval", { interval: SAMPLING_INTERVAL_US });
    return new WorkerProfiler(session);
  }

  /** Profiles the isolate while `work` runs. */
  async during<T>(work: () => Promise<T>): Promise<{ result: T; profile: CpuProfile }> {
    await this.session.send("Profiler.start");
    try {
      const result = await work();
      const { profile } = await this.session.send("Profiler.stop", {}, 60_000);
      return { result, profile };
    } catch (error) {
      await this.session.send("Profiler.stop", {}, 60_000).catch(() => undefined);
      throw error;
    }
  }

  close(): void {
    this.session.close();
  }
}

/** Self time per function (name, file, line), largest first, as shares of all samples. */
export function topSelfTime(profile: CpuProfile, count: number): Array<{ share: number; where: string }> {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byPlace = new Map<string, number>();
  for (const id of profile.samples) {
    const frame = nodes.get(id)!.callFrame;
    const file = frame.url.split("/").slice(-2).join("/");
    const where = `${frame.functionName || "(anonymous)"} ${file}${file ? `:${frame.lineNumber + 1}` : ""}`;
    byPlace.set(where, (byPlace.get(where) ?? 0) + 1);
  }
  const total = profile.samples.length || 1;
  return [...byPlace]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([where, samples]) => ({ share: samples / total, where }));
}

export async function saveProfile(file: string, profile: CpuProfile): Promise<void> {
  await writeFile(file, JSON.stringify(profile));
}
