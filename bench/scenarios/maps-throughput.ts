// Maps read and write throughput through the whole pipeline, in one run: GET of one record vs PUT
// of a small value to rotating keys (each PUT is a versioned write with capacity accounting).
import { compareThroughput, figure, row, type Scenario } from "../lib/scenario.ts";
import { READ_VALUE, readTarget } from "../lib/targets.ts";

const WRITE_KEYS = 100;

export const mapsThroughputScenario: Scenario = {
  id: "maps",
  title: "maps read vs write throughput (full pipeline)",
  async run(ctx) {
    const target = await readTarget(ctx);
    let n = 0;
    const { results, ratios } = await compareThroughput(ctx, [
      { label: `read (GET ${target.path})`, path: target.path, headers: target.headers },
      {
        label: `write (PUT /v1/maps/writes/w0…w${WRITE_KEYS - 1})`,
        path: "/v1/maps/writes/w0",
        method: "PUT",
        headers: { ...target.headers, "Content-Type": "application/json" },
        body: JSON.stringify(READ_VALUE),
        setupRequest: (request) => ({ ...request, path: `/v1/maps/writes/w${n++ % WRITE_KEYS}` }),
      },
    ]);
    const [read, write] = results as [(typeof results)[0], (typeof results)[0]];
    return {
      status: "ok",
      loads: [row(read.label, read), row(write.label, write)],
      figures: [
        figure("maps_read_rps", "maps read throughput (this machine)", read.okRps, "req/s"),
        figure("maps_write_rps", "maps write throughput (this machine)", write.okRps, "req/s"),
        figure("maps_write_over_read", "write / read (throughput)", ratios[1]!, "ratio"),
        figure("maps_write_p99_ms", "write latency p99", write.latency.p99, "ms"),
      ],
    };
  },
};
