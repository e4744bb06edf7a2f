// An open-loop load generator for pos.sale: sales arrive at a fixed rate from a number of tills whatever the server
// answers (not a closed loop of tills that wait), and latency is measured from the moment each sale was *due*, so a
// slow answer is charged to every sale queued behind it (no coordinated omission, the way wrk2 measures).
import { percentile } from "../tools/processes.ts";

export interface OpenLoopOptions {
  url: string;
  key: string;
  /** Sales per second over all tills together. */
  rate: number;
  tills: number;
  seconds: number;
  /** Seconds at the start that are sent but not measured (JIT warm-up, connections opening). */
  warmupSeconds: number;
  cardNumber: (index: number) => string;
  cards: number;
  amountOre: number;
  /** Makes sale ids unique across runs on the same database. */
  prefix: string;
}

export interface OpenLoopResult {
  rate: number;
  /** Measured sales per second actually answered in the measured window. */
  achievedPerSecond: number;
  measured: number;
  approved: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  /** How late the client itself sent sales (timer and its own event loop): p99, in ms. Part of the latency above. */
  sendLagP99Ms: number;
}

export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const interval = (options.tills / options.rate) * 1000;
  const start = performance.now() + 200;
  const measureFrom = start + options.warmupSeconds * 1000;
  const end = measureFrom + options.seconds * 1000;
  const latencies: number[] = [];
  const lags: number[] = [];
  let approved = 0;
  let failed = 0;
  const headers = { "content-type": "application/json", authorization: `Bearer ${options.key}` };

  async function till(index: number): Promise<void> {
    // Tills are spread evenly over one interval, so together they send at a steady rate.
    let due = start + (index / options.tills) * interval;
    let count = 0;
    while (due < end) {
      const wait = due - performance.now();
      if (wait > 0) await Bun.sleep(wait);
      const sent = performance.now();
      count += 1;
      const body = JSON.stringify({
        saleId: `${options.prefix}-${index}-${count}`,
        cardNumber: options.cardNumber(Math.floor(Math.random() * options.cards)),
        amountOre: options.amountOre,
      });
      let ok = false;
      try {
        const response = await fetch(`${options.url}/trpc/pos.sale`, { method: "POST", headers, body });
        const text = await response.text();
        ok = response.status === 200 && text.includes('"approved"');
      } catch {
        ok = false;
      }
      const done = performance.now();
      if (due >= measureFrom) {
        latencies.push(done - due);
        lags.push(sent - due);
        if (ok) approved += 1;
        else failed += 1;
      }
      due += interval;
    }
  }

  await Promise.all(Array.from({ length: options.tills }, (_, index) => till(index)));
  const finished = performance.now();
  latencies.sort((a, b) => a - b);
  lags.sort((a, b) => a - b);
  return {
    rate: options.rate,
    achievedPerSecond: latencies.length / ((Math.max(finished, end) - measureFrom) / 1000),
    measured: latencies.length,
    approved,
    failed,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    p999Ms: percentile(latencies, 0.999),
    maxMs: latencies[latencies.length - 1] ?? Number.NaN,
    sendLagP99Ms: percentile(lags, 0.99),
  };
}
