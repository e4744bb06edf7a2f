// A clear placeholder for pages a later release delivers (Indbetal, Overfør, Udbetal, Webshop), never a broken link.
import { A } from "@solidjs/router";
import { t } from "../i18n.ts";

export function ComingSoonPage(props: { title: string }) {
  return (
    <section>
      <h1>{props.title}</h1>
      <p class="notice">
        <strong>{t().comingSoon}.</strong> {t().comingSoonText}
      </p>
      <A href="/konti">{t().accounts}</A>
    </section>
  );
}
