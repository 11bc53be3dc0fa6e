// The process `runPacedApart` forks: runs the paced loads it is sent, says when they have started,
// answers with their results, exits.
import { runPaced, type PacedSpec } from "./paced.ts";

process.once("message", async ({ baseUrl, specs }: { baseUrl: string; specs: PacedSpec[] }) => {
  try {
    const runs = specs.map((spec) => runPaced(baseUrl, spec));
    process.send!({ started: true });
    const results = await Promise.all(runs);
    process.send!({ results }, () => process.exit(0));
  } catch (error) {
    process.send!({ error: error instanceof Error ? error.message : String(error) }, () => process.exit(1));
  }
});
