// Sikkerhedskopi (administrators): whether scheduled backups are on, and the last backup's result (scheduled or manual).
import { createResource, Match, Show, Switch } from "solid-js";
import { trpc } from "../../trpc.ts";
import { formatDateTime } from "../../format.ts";
import { language } from "../../language.ts";
import { ListState } from "./shared.tsx";
import type { BackupRetention } from "../../../../server/ops/retention.ts";

/** The retention policy the server reports. */
type Retention = BackupRetention;

/** "a, b og c" */
function list(parts: Array<string | null>, and: string): string {
  const kept = parts.filter((part): part is string => part !== null);
  return kept.length <= 1 ? (kept[0] ?? "") : `${kept.slice(0, -1).join(", ")} ${and} ${kept[kept.length - 1]}`;
}

/** "; højst 40 filer og 100 GB" */
function caps(r: Retention, atMost: string, files: string, and: string): string {
  const limits = [r.maxFiles !== null ? `${r.maxFiles} ${files}` : null, r.maxBytes !== null ? `${Math.round(r.maxBytes / 1e8) / 10} GB` : null];
  const text = list(limits, and);
  return text ? `; ${atMost} ${text}` : "";
}

const words = {
  da: {
    title: "Sikkerhedskopi",
    scheduleOn: (minutes: number) => `Planlagt sikkerhedskopi hvert ${minutes}. minut.`,
    keeps: (r: Retention) =>
      `Der gemmes ${list([
        r.hours > 0 ? `alle fra de seneste ${r.hours} timer` : null,
        r.days > 0 ? `én om dagen i ${r.days} dage` : null,
        r.weeks > 0 ? `én om ugen i ${r.weeks} uger` : null,
        r.months > 0 ? `én om måneden i ${r.months} måneder` : null,
      ], "og") || "kun den nyeste"}${caps(r, "højst", "filer", "og")}.`,
    scheduleOff: "Planlagt sikkerhedskopi er slået fra (BACKUP_DIR er ikke sat). Kør npm run backup, eller sæt BACKUP_DIR.",
    none: "Der er endnu ikke taget nogen sikkerhedskopi.",
    last: "Seneste sikkerhedskopi",
    ok: "Gennemført og kontrolleret (quick_check, ledger:check og hashkæden) og signeret",
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
    scheduleOn: (minutes: number) => `Scheduled backup every ${minutes} minutes.`,
    keeps: (r: Retention) =>
      `Kept: ${list([
        r.hours > 0 ? `every one of the last ${r.hours} hours` : null,
        r.days > 0 ? `one a day for ${r.days} days` : null,
        r.weeks > 0 ? `one a week for ${r.weeks} weeks` : null,
        r.months > 0 ? `one a month for ${r.months} months` : null,
      ], "and") || "the newest only"}${caps(r, "at most", "files", "and")}.`,
    scheduleOff: "Scheduled backups are off (BACKUP_DIR is not set). Run npm run backup, or set BACKUP_DIR.",
    none: "No backup has been made yet.",
    last: "Last backup",
    ok: "Completed, checked (quick_check, ledger:check and the hash chain) and signed",
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
            <Show when={current().schedule} fallback={<p>{w().scheduleOff}</p>}>
              {(schedule) => (
                <p>
                  {w().scheduleOn(schedule().intervalMinutes)} {w().keeps(schedule().retention)}
                </p>
              )}
            </Show>
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
