// The till's language choice (Dansk / English), on the pairing screen and in the header.
import { language, setLanguage } from "../language.ts";
import { tt } from "./i18n.ts";

export function LanguageSwitch() {
  return (
    <label class="till-language">
      <span class="visually-hidden">{tt().language}</span>
      <select value={language()} onChange={(event) => setLanguage(event.currentTarget.value as "da" | "en")} aria-label={tt().language}>
        <option value="da">Dansk</option>
        <option value="en">English</option>
      </select>
    </label>
  );
}
