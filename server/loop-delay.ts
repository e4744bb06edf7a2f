// Benchmark instrument: with LOOP_DELAY_REPORT=<file>, the server measures how late its event loop runs (and how long
// the writer's commits take) and writes the figures to that file as JSON when it stops. No route, nothing by default.
import { createHistogram, monitorEventLoopDelay } from "node:perf_hooks";
import { writeFileSync } from "node:fs";
import type { GroupCommitWriter } from "../db/writer.ts";

export interface LoopDelayReport {
  /** Event-loop delay percentiles in milliseconds (sampled every millisecond). */
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  meanMs: number;
  samples: number;
  /** The writer's counters over the same time: see GroupCommitWriter.stats. */
  writer: GroupCommitWriter["stats"];
  /** WAL sync time percentiles in milliseconds (wal-sync only; 0 without syncs). */
  syncP50Ms: number;
  syncP99Ms: number;
  /** CPU time of the whole process (all its threads) while watched, in milliseconds. */
  cpuUserMs: number;
  cpuSystemMs: number;
}

export function watchEventLoop(file: string, writer: GroupCommitWriter): { write(): void } {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const cpuAtStart = process.cpuUsage();
  writer.measureCpu = true;
  const syncs = createHistogram();
  writer.syncHistogram = syncs;
  const ms = (nanoseconds: number) => Math.round(nanoseconds / 1e4) / 100;
  return {
    write() {
      histogram.disable();
      const cpu = process.cpuUsage(cpuAtStart);
      const report: LoopDelayReport = {
        p50Ms: ms(histogram.percentile(50)),
        p99Ms: ms(histogram.percentile(99)),
        p999Ms: ms(histogram.percentile(99.9)),
        maxMs: ms(histogram.max),
        meanMs: ms(histogram.mean),
        samples: histogram.count,
        writer: { ...writer.stats },
        syncP50Ms: syncs.count > 0 ? Math.round(syncs.percentile(50) / 10) / 100 : 0,
        syncP99Ms: syncs.count > 0 ? Math.round(syncs.percentile(99) / 10) / 100 : 0,
        cpuUserMs: Math.round(cpu.user / 1000),
        cpuSystemMs: Math.round(cpu.system / 1000),
      };
      writeFileSync(file, JSON.stringify(report));
    },
  };
}
