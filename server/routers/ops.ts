// Operations facts for administrators in the back office: the schedule of backups and the last backup's result.
import { db } from "../../db/query.ts";
import { adminProcedure, router } from "../trpc.ts";
import { backupStatus } from "../backups/backup.ts";

export const opsRouter = router({
  /**
   * `schedule`: null when scheduled backups are off (no BACKUP_DIR); `last`: the newest attempt, scheduled or by
   * `npm run backup` (its file name only, never a directory); `lastSuccessAt`: when the last checked copy was made.
   */
  backupStatus: adminProcedure.query(({ ctx }) => {
    const schedule = ctx.services.config.backup;
    const { status, schools } = ctx.services.store.read((tx) => ({ status: backupStatus(tx), schools: tx.first(db.selectFrom("tenants").select((eb) => eb.fn.countAll<number>().as("n")))!.n }));
    // A backup is of the whole site: where several schools share it, its size says how much all of them hold, which
    // is none of one school's business (issue 29). The site operator has `npm run backup` and the files themselves.
    const last = status.last && schools > 1 ? { ...status.last, bytes: null } : status.last;
    return { schedule: schedule ? { intervalMinutes: schedule.intervalMinutes, retention: schedule.retention } : null, ...status, last };
  }),
});
