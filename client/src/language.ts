// The chosen language (Danish or English), shared by every app and remembered in localStorage; no texts live here, so the
// till and the back office can follow the choice without loading the portal's dictionary.
import { createSignal } from "solid-js";

export type Language = "da" | "en";
const STORAGE_KEY = "kantinekort.language";
const stored = typeof localStorage !== "undefined" ? localStorage.getItem(STORAGE_KEY) : null;
const [language, setLanguageSignal] = createSignal<Language>(stored === "en" ? "en" : "da");
if (typeof document !== "undefined") document.documentElement.lang = language();

export { language };

export function setLanguage(next: Language): void {
  localStorage.setItem(STORAGE_KEY, next);
  document.documentElement.lang = next;
  setLanguageSignal(next);
}

/** Server messages carry "dansk / English"; show the half for the current language. */
export function localise(message: string): string {
  const parts = message.replace(/^Invalid input: [\w.]+: /, "").split(" / ");
  return parts.length === 2 ? (language() === "en" ? parts[1]! : parts[0]!) : parts[0]!;
}
