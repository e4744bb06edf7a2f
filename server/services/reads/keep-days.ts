// Keeps the totals of every closed day per school in the background, so a month or year report finds them ready.
import { db } from "../../../db/query.ts";
import type { Store } from "../../../db/connect.ts";
import { addDays, copenhagenDate } from "../../../common/calendar.ts";
import { errorField, log } from "../../ops/logger.ts";
import { keepDayTotals, PERIOD_DAYS_MAX, type DayTotals } from "../backoffice/period-report.ts";
import type { HeavyReads } from "./pool.ts";

/** How often the filler looks for closed days without totals, and how many days per school it computes a turn. */
export const KEEP_DAYS_EVERY_MS = 30_000;
const DAYS_PER_TURN = 31;

export interface DayKeeper {
  /** One turn now: computes and keeps up to a month of missing closed days per school; resolves with how many it kept. */
  turn(): Promise<number>;
  stop(): void;
}

export function startDayKeeper(store: Store, reads: HeavyReads, options: { everyMs?: number; scheduled?: boolean } = {}): DayKeeper {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | null = null;

  async function turn(): Promise<number> {
    const nowMs = Date.now();
    const to = addDays(copenhagenDate(nowMs), -1);
    const from = addDays(to, -(PERIOD_DAYS_MAX - 1));
    const tenants = store.read((tx) => tx.all(db.selectFrom("tenants").select("id").orderBy("id")));
    let kept = 0;
    for (const tenant of tenants) {
      if (stopped) break;
      const missing = await reads.run("missingClosedDays", { tenantId: tenant.id, from, to, nowMs, limit: DAYS_PER_TURN });
      const days: DayTotals[] = [];
      for (const day of missing) {
        if (stopped) break;
        days.push(await reads.run("dayTotals", { tenantId: tenant.id, day }));
      }
      if (days.length > 0) kept += await store.write((tx) => keepDayTotals(tx, tenant.id, days, nowMs));
    }
    return kept;
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      turn()
        .catch((error) => log.warn({ err: errorField(error) }, "keeping day totals failed; the next turn tries again"))
        .finally(() => schedule(options.everyMs ?? KEEP_DAYS_EVERY_MS));
    }, delayMs);
    timer.unref?.();
  }
  if (options.scheduled !== false) schedule(5_000);
  return {
    turn,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
