// Back office (Danish first): the shell around its sections — staff sign-in, the header, the section tabs — each section in ./admin/.
import { createEffect, createResource, For, Match, Switch, type JSX } from "solid-js";
import { errorCode, trpc } from "../trpc.ts";
import { language, setLanguage } from "../language.ts";
import { a } from "../admin-i18n.ts";
import { forgetCanteens, section, setCorrectionTarget, setSection, type Me } from "./admin/shared.tsx";
import { SignIn } from "./admin/SignIn.tsx";
import { Cards } from "./admin/Cards.tsx";
import { Devices } from "./admin/Devices.tsx";
import { Catalogue } from "./admin/Catalogue.tsx";
import { Payouts } from "./admin/Payouts.tsx";
import { Support } from "./admin/Support.tsx";
import { Reports } from "./admin/Reports.tsx";
import { Correction } from "./admin/Correction.tsx";
import { AuditLog } from "./admin/AuditLog.tsx";
import { Staff } from "./admin/Staff.tsx";
import { Backup, backupLabel } from "./admin/Backup.tsx";

const sections: Array<{ key: string; label: () => string; adminOnly?: boolean; render: (me: Me) => JSX.Element }> = [
  { key: "cards", label: () => a().cards, render: (me) => <Cards me={me} /> },
  { key: "devices", label: () => a().devices, adminOnly: true, render: (me) => <Devices me={me} /> },
  { key: "catalogue", label: () => a().catalogue, render: (me) => <Catalogue me={me} /> },
  { key: "payouts", label: () => a().payouts, adminOnly: true, render: () => <Payouts /> },
  { key: "support", label: () => a().support, render: () => <Support /> },
  { key: "reports", label: () => a().reports, render: () => <Reports /> },
  { key: "correction", label: () => a().correction, adminOnly: true, render: () => <Correction /> },
  { key: "audit", label: () => a().audit, adminOnly: true, render: () => <AuditLog /> },
  { key: "staff", label: () => a().staff, adminOnly: true, render: (me) => <Staff me={me} /> },
  { key: "backup", label: backupLabel, adminOnly: true, render: () => <Backup /> },
];

export function AdminPage() {
  const [me, { refetch }] = createResource(async () => {
    try {
      return await trpc.backoffice.me.query();
    } catch (error) {
      if (errorCode(error) === "UNAUTHORIZED" || errorCode(error) === "FORBIDDEN") return null;
      throw error;
    }
  });
  // The open section and a chosen correction target belong to one staff session: however it ended (Log ud, expiry, a
  // disabled account), the next person to sign in starts on Kort with no cardholder preselected.
  createEffect(() => {
    if (me.state === "ready" && me() === null) {
      setSection("cards");
      setCorrectionTarget(null);
      forgetCanteens();
    }
  });
  return (
    <div class="admin">
      <Switch>
        <Match when={me.state === "ready" && me() === null}>
          <SignIn onDone={() => void refetch()} />
        </Match>
        <Match when={me.state === "ready" && me()}>
          {(staff) => (
            <>
              <header class="topbar">
                <span class="brand">{a().brand}</span>
                <span class="who" title={staff().email}>{staff().email} ({staff().role === "admin" ? a().roleAdmin : a().roleStaff})</span>
                <select aria-label={a().language} value={language()} onChange={(event) => setLanguage(event.currentTarget.value as "da" | "en")}>
                  <option value="da">Dansk</option>
                  <option value="en">English</option>
                </select>
                <button type="button" class="link-button" onClick={async () => { await trpc.backoffice.logout.mutate().catch(() => undefined); void refetch(); }}>{a().signOut}</button>
              </header>
              <nav class="tabs" aria-label={a().nav}>
                <For each={sections.filter((candidate) => !candidate.adminOnly || staff().role === "admin")}>
                  {(candidate) => (
                    <button type="button" class={section() === candidate.key ? "tab active" : "tab"} aria-pressed={section() === candidate.key ? "true" : "false"} onClick={() => setSection(candidate.key)}>
                      {candidate.label()}
                    </button>
                  )}
                </For>
              </nav>
              <main class="content">{(sections.find((candidate) => candidate.key === section() && (!candidate.adminOnly || staff().role === "admin")) ?? sections[0]!).render(staff())}</main>
            </>
          )}
        </Match>
        <Match when={me.state === "errored"}>
          <p role="alert" class="error">{a().loadFailed}</p>
        </Match>
      </Switch>
    </div>
  );
}
