// Operations facts for administrators in the back office: the schedule of backups and the last backup's result.
import { adminProcedure, router } from "../trpc.ts";
import { backupStatus } from "../backups/backup.ts";

export const opsRouter = router({
  /**
   * `schedule`: null when scheduled backups are off (no BACKUP_DIR); `last`: the newest attempt, scheduled or by
   * `npm run backup` (its file name only, never a directory); `lastSuccessAt`: when the last checked copy was made.
   */
  backupStatus: adminProcedure.query(({ ctx }) => {
    const schedule = ctx.services.config.backup;
    const status = ctx.services.store.read(backupStatus);
    return { schedule: schedule ? { intervalMinutes: schedule.intervalMinutes, retention: schedule.retention } : null, ...status };
  }),
});
