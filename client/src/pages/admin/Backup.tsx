// Sikkerhedskopi (administrators): whether scheduled backups are on, and the last backup's result (scheduled or manual).
import { createResource, Match, Show, Switch } from "solid-js";
import { trpc } from "../../trpc.ts";
import { formatDateTime } from "../../format.ts";
import { language } from "../../language.ts";
import { ListState } from "./shared.tsx";

const words = {
  da: {
    title: "Sikkerhedskopi",
    scheduleOn: (minutes: number, keep: number) => `Planlagt sikkerhedskopi hvert ${minutes}. minut; de nyeste ${keep} gemmes.`,
    scheduleOff: "Planlagt sikkerhedskopi er slået fra (BACKUP_DIR er ikke sat). Kør npm run backup, eller sæt BACKUP_DIR.",
    none: "Der er endnu ikke taget nogen sikkerhedskopi.",
    last: "Seneste sikkerhedskopi",
    ok: "Gennemført og kontrolleret (integrity_check og ledger:check)",
    failed: "Mislykkedes",
    when: "Tidspunkt",
    how: "Udløst",
    scheduled: "planlagt",
    manual: "manuelt (npm run backup)",
    file: "Fil",
    size: "Størrelse",
    reason: "Årsag",
    lastGood: "Seneste kontrollerede kopi",
    never: "aldrig",
    refresh: "Opdater",
  },
  en: {
    title: "Backup",
    scheduleOn: (minutes: number, keep: number) => `Scheduled backup every ${minutes} minutes; the newest ${keep} are kept.`,
    scheduleOff: "Scheduled backups are off (BACKUP_DIR is not set). Run npm run backup, or set BACKUP_DIR.",
    none: "No backup has been made yet.",
    last: "Last backup",
    ok: "Completed and checked (integrity_check and ledger:check)",
    failed: "Failed",
    when: "Time",
    how: "Started",
    scheduled: "scheduled",
    manual: "manually (npm run backup)",
    file: "File",
    size: "Size",
    reason: "Reason",
    lastGood: "Last checked copy",
    never: "never",
    refresh: "Refresh",
  },
};
const w = () => words[language()];

/** The back-office tab's label. */
export const backupLabel = () => w().title;

function megabytes(bytes: number): string {
  return `${new Intl.NumberFormat(language() === "da" ? "da-DK" : "en-GB", { maximumFractionDigits: 1 }).format(bytes / 1_048_576)} MB`;
}

export function Backup() {
  const [status, { refetch }] = createResource(() => trpc.ops.backupStatus.query());
  const shown = () => (status.error ? undefined : status());
  return (
    <section aria-labelledby="backup-title">
      <h2 id="backup-title">{w().title}</h2>
      <ListState of={status} empty={shown()?.last === null} emptyText={w().none} />
      <Show when={shown()}>
        {(current) => (
          <>
            <p>{current().schedule ? w().scheduleOn(current().schedule!.intervalMinutes, current().schedule!.keep) : w().scheduleOff}</p>
            <Show when={current().last}>
              {(last) => (
                <>
                  <h3>{w().last}</h3>
                  <p role="status" class={last().ok ? "success" : "error"}>{last().ok ? w().ok : w().failed}</p>
                  <dl class="totals">
                    <dt>{w().when}</dt>
                    <dd>{formatDateTime(last().finishedAt)}</dd>
                    <dt>{w().how}</dt>
                    <dd>{last().trigger === "scheduled" ? w().scheduled : w().manual}</dd>
                    <Show when={last().file}>
                      <dt>{w().file}</dt>
                      <dd>{last().file}</dd>
                    </Show>
                    <Switch>
                      <Match when={last().ok && last().bytes !== null}>
                        <dt>{w().size}</dt>
                        <dd>{megabytes(last().bytes!)}</dd>
                      </Match>
                      <Match when={!last().ok}>
                        <dt>{w().reason}</dt>
                        <dd>{last().error}</dd>
                      </Match>
                    </Switch>
                    <dt>{w().lastGood}</dt>
                    <dd>{current().lastSuccessAt === null ? w().never : formatDateTime(current().lastSuccessAt!)}</dd>
                  </dl>
                </>
              )}
            </Show>
          </>
        )}
      </Show>
      <button type="button" onClick={() => void refetch()}>{w().refresh}</button>
    </section>
  );
}
