// Brugerinfo: the guide's fields, masked CPR, read-only school data, photo, Maks. forbrug, Gem, and Skift adgangskode.
import { createResource, createSignal, For, Show } from "solid-js";
import { localise, t } from "../i18n.ts";
import { session } from "../session.ts";
import { errorCode, fieldIssues, trpc } from "../trpc.ts";
import { kronerFieldToOre, kronerFieldText } from "../format.ts";

type Fields = Record<"name" | "email" | "cpr" | "address" | "postalCode" | "city" | "phone" | "daily" | "weekly" | "monthly", string>;

async function resizedDataUrl(file: File, maxSide = 512): Promise<string> {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d")!.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  return canvas.toDataURL("image/jpeg", 0.85);
}

function ChangePassword() {
  const [open, setOpen] = createSignal(false);
  const [values, setValues] = createSignal({ currentPassword: "", newPassword: "", repeatPassword: "" });
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [message, setMessage] = createSignal<{ ok: boolean; text: string } | null>(null);
  async function submit(event: SubmitEvent) {
    event.preventDefault();
    setErrors({});
    setMessage(null);
    try {
      const result = await trpc.auth.changePassword.mutate(values());
      if (result.ok) {
        setMessage({ ok: true, text: t().passwordChanged });
        setValues({ currentPassword: "", newPassword: "", repeatPassword: "" });
      } else if (result.reason === "locked") setMessage({ ok: false, text: t().locked(Math.ceil(result.retryAfterSeconds / 60)) });
      else setMessage({ ok: false, text: t().wrongPassword });
    } catch (caught) {
      setErrors(fieldIssues(caught));
      if (Object.keys(fieldIssues(caught)).length === 0) setMessage({ ok: false, text: t().error });
    }
  }
  const field = (key: "currentPassword" | "newPassword" | "repeatPassword", label: string) => (
    <>
      <label for={`pw-${key}`}>{label}</label>
      <input id={`pw-${key}`} type="password" autocomplete={key === "currentPassword" ? "current-password" : "new-password"} value={values()[key]} onInput={(event) => setValues({ ...values(), [key]: event.currentTarget.value })} />
      <Show when={errors()[key]}><p role="alert" class="error">{localise(errors()[key]!)}</p></Show>
    </>
  );
  return (
    <div class="change-password">
      <button type="button" class="secondary" aria-expanded={open()} onClick={() => setOpen(!open())}>{t().changePassword}</button>
      <Show when={open()}>
        <form onSubmit={submit} novalidate class="card-panel" aria-label={t().changePassword}>
          {field("currentPassword", t().currentPassword)}
          {field("newPassword", t().newPassword)}
          <small>{t().passwordRule}</small>
          {field("repeatPassword", t().repeatPassword)}
          <button type="submit">{t().save}</button>
        </form>
      </Show>
      <Show when={message()}>{(shown) => <p role={shown().ok ? "status" : "alert"} class={shown().ok ? "success" : "error"}>{shown().text}</p>}</Show>
    </div>
  );
}

export function UserInfoPage() {
  const [profile, { refetch }] = createResource(() => trpc.profile.get.query());
  // A child's Maks. forbrug is set by their guardian: shown here read-only (the server refuses changes anyway).
  const [limitsByGuardian] = createResource(async () => {
    const own = session.accounts.find((account) => !account.holder) ?? (await trpc.accounts.list.query().catch(() => [])).find((account) => !account.holder);
    if (!own) return false;
    return trpc.limits.get.query({ accountId: own.accountId }).then((limits) => !limits.editable, () => false);
  });
  const [fields, setFields] = createSignal<Fields | null>(null);
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [status, setStatus] = createSignal<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = createSignal(false);

  const current = (): Fields => {
    const existing = fields();
    if (existing) return existing;
    const loaded = profile();
    return {
      name: loaded?.name ?? "",
      email: loaded?.email ?? "",
      cpr: "",
      address: loaded?.address ?? "",
      postalCode: loaded?.postalCode ?? "",
      city: loaded?.city ?? "",
      phone: loaded?.phone ?? "",
      daily: kronerFieldText(loaded?.limits.dailyOre ?? null),
      weekly: kronerFieldText(loaded?.limits.weeklyOre ?? null),
      monthly: kronerFieldText(loaded?.limits.monthlyOre ?? null),
    };
  };
  const set = (key: keyof Fields, value: string) => setFields({ ...current(), [key]: value });

  async function save(event: SubmitEvent) {
    event.preventDefault();
    const values = current();
    const clientErrors: Record<string, string> = {};
    if (!values.name.trim()) clientErrors.name = t().required;
    if (!values.email.trim()) clientErrors.email = t().required;
    const limits = { dailyOre: kronerFieldToOre(values.daily), weeklyOre: kronerFieldToOre(values.weekly), monthlyOre: kronerFieldToOre(values.monthly) };
    for (const [key, value] of [["limits.dailyOre", limits.dailyOre], ["limits.weeklyOre", limits.weeklyOre], ["limits.monthlyOre", limits.monthlyOre]] as const) {
      if (Number.isNaN(value)) clientErrors[key] = t().maxSpendingHelp;
    }
    setErrors(clientErrors);
    setStatus(null);
    if (Object.keys(clientErrors).length > 0) return;
    setBusy(true);
    try {
      await trpc.profile.update.mutate({
        name: values.name.trim(),
        email: values.email.trim(),
        ...(values.cpr.trim() ? { cpr: values.cpr.trim() } : {}),
        address: values.address,
        postalCode: values.postalCode.trim(),
        city: values.city,
        phone: values.phone.trim(),
        limits,
      });
      setFields(null);
      await refetch();
      await session.refetchMe();
      setStatus({ ok: true, text: t().saved });
    } catch (caught) {
      if (errorCode(caught) === "UNAUTHORIZED") window.location.assign("/log-ind");
      const issues = fieldIssues(caught);
      setErrors(issues);
      setStatus({ ok: false, text: Object.keys(issues).length > 0 ? Object.values(issues).map(localise).join(" ") : t().error });
    } finally {
      setBusy(false);
    }
  }

  async function uploadPhoto(event: Event & { currentTarget: HTMLInputElement }) {
    const file = event.currentTarget.files?.[0];
    if (!file) return;
    try {
      await trpc.profile.uploadPhoto.mutate({ dataUrl: await resizedDataUrl(file) });
      await refetch();
      setStatus({ ok: true, text: t().photoSaved });
    } catch (caught) {
      const issue = fieldIssues(caught).dataUrl;
      setStatus({ ok: false, text: issue ? localise(issue) : t().error });
    }
  }

  const input = (key: keyof Fields, label: string, options: { type?: string; autocomplete?: string; help?: string; path?: string; inputmode?: "numeric" | "email" | "tel"; readOnly?: () => boolean } = {}) => (
    <div class="field">
      <label for={`field-${key}`}>{label}</label>
      <input
        id={`field-${key}`}
        type={options.type ?? "text"}
        inputmode={options.inputmode}
        autocomplete={options.autocomplete}
        value={current()[key]}
        readOnly={options.readOnly?.() ?? false}
        onInput={(event) => set(key, event.currentTarget.value)}
        aria-invalid={Boolean(errors()[options.path ?? key])}
        aria-describedby={options.help ? `help-${key}` : undefined}
      />
      <Show when={options.help}><small id={`help-${key}`}>{options.help}</small></Show>
      <Show when={errors()[options.path ?? key]}><p class="error" role="alert">{localise(errors()[options.path ?? key]!)}</p></Show>
    </div>
  );

  return (
    <section>
      <div class="page-head">
        <h1>{t().userDetailsTitle(profile()?.name ?? session.me()?.name ?? "")}</h1>
        <ChangePassword />
      </div>
      <Show when={session.me() && !session.me()!.profileComplete}>
        <p class="notice" role="status">{t().firstLogin}</p>
      </Show>
      <Show when={profile.loading && !profile()}><p role="status">{t().loading}</p></Show>
      <Show when={profile.error}><p role="alert" class="error">{t().error}</p></Show>
      <Show when={profile()}>
        {(loaded) => (
          <form onSubmit={save} novalidate class="profile-form">
            <fieldset>
              <legend>{t().student}</legend>
              {input("name", t().name, { autocomplete: "name" })}
              {input("email", t().email, { type: "email", autocomplete: "email", inputmode: "email" })}
              {input("cpr", `${t().cpr}${loaded().cprMasked ? ` (${loaded().cprMasked})` : ""}`, { help: t().cprHelp, autocomplete: "off" })}
              {input("address", t().address, { autocomplete: "street-address" })}
              {input("postalCode", t().postalCode, { autocomplete: "postal-code", inputmode: "numeric" })}
              {input("city", t().city, { autocomplete: "address-level2" })}
              {input("phone", t().phone, { type: "tel", autocomplete: "tel", inputmode: "tel" })}
            </fieldset>
            <fieldset>
              <legend>{t().school}</legend>
              <dl class="readonly">
                <For each={[[t().school, loaded().school], [t().className, loaded().className], [t().track, loaded().track]] as const}>
                  {([label, value]) => (
                    <>
                      <dt>{label}</dt>
                      <dd>{value ?? "–"}</dd>
                    </>
                  )}
                </For>
              </dl>
              <div class="field">
                <span class="label">{t().photo}</span>
                <Show when={loaded().photoUrl}>{(url) => <img class="photo" src={url()} alt={t().photo} width="96" height="96" />}</Show>
                <label class="button-link file-label" for="photo-input">{t().uploadPhoto}</label>
                <input id="photo-input" class="visually-hidden" type="file" accept="image/jpeg,image/png,image/webp" onChange={uploadPhoto} />
              </div>
            </fieldset>
            <fieldset>
              <legend>{t().maxSpending}</legend>
              <small>{t().maxSpendingHelp}</small>
              <Show when={limitsByGuardian()}><p class="notice">{t().limitsReadOnly}</p></Show>
              {input("daily", t().daily, { inputmode: "numeric", path: "limits.dailyOre", readOnly: () => limitsByGuardian() === true })}
              {input("weekly", t().weekly, { inputmode: "numeric", path: "limits.weeklyOre", readOnly: () => limitsByGuardian() === true })}
              {input("monthly", t().monthly, { inputmode: "numeric", path: "limits.monthlyOre", readOnly: () => limitsByGuardian() === true })}
            </fieldset>
            <Show when={status()}>{(shown) => <p role={shown().ok ? "status" : "alert"} class={shown().ok ? "success" : "error"}>{shown().text}</p>}</Show>
            <button type="submit" disabled={busy()}>{busy() ? t().loading : t().save}</button>
          </form>
        )}
      </Show>
    </section>
  );
}
