// How a replacement card's verification code reaches its holder: the e-mail to the holder and guardians, or the printed letter.
import type { MailMessage } from "../../mail/mailer.ts";
import { escapeHtml } from "../../html.ts";

const spaced = (cardNumber: string) => cardNumber.replace(/(\d{4})(?=\d)/g, "$1 ");

/**
 * The mail that replaces "the card is replaced" notice: it names the new card and, for a holder who still logs in with
 * the card's code (no password yet), the new code. Staff never see it; the holder and the guardians do.
 */
export function replacementCardMail(to: string, card: { holder: string | null; oldCardNumber: string; newCardNumber: string; code: string | null; by: string }): MailMessage {
  const holder = card.holder ?? "kortholderen";
  const login = card.code
    ? `Log ind i Kantinekort med kortnummer ${spaced(card.newCardNumber)} og bekræftelseskoden ${card.code}, og vælg derefter en adgangskode.`
    : `Log ind i Kantinekort med kortnummer ${spaced(card.newCardNumber)} og din adgangskode som hidtil.`;
  const loginEn = card.code
    ? `Sign in with card number ${spaced(card.newCardNumber)} and verification code ${card.code}, then choose a password.`
    : `Sign in with card number ${spaced(card.newCardNumber)} and your password as before.`;
  return {
    to,
    subject: `Kantinekort ${spaced(card.oldCardNumber)} er erstattet`,
    text:
      `Kantinekort ${spaced(card.oldCardNumber)} (${holder}) er spærret for altid og erstattet af kort ${spaced(card.newCardNumber)} (ender på ${card.newCardNumber.slice(-4)}). Saldo og grænser følger med. Erstattet af ${card.by}.\n` +
      `Alle, der var logget ind med kortet, er logget ud.\n\n${login}\n\nHar I ikke bedt om et nyt kort, så kontakt kantinen straks.\n\n---\n` +
      `Canteen card ${spaced(card.oldCardNumber)} has been replaced by card ${spaced(card.newCardNumber)} (by ${card.by}). ${loginEn} If you did not ask for this, contact the canteen at once.`,
  };
}

/** The card letter as a standalone HTML page (no scripts, no PDF) that the back office opens in a window to print. */
export function cardLetterHtml(letter: { holder: string | null; cardNumber: string; school: string | null; className: string | null; code: string | null }): string {
  const holder = escapeHtml(letter.holder ?? "");
  const schooling = escapeHtml([letter.school, letter.className].filter(Boolean).join(", "));
  const login = letter.code
    ? `<p>Bekræftelseskode / Verification code: <strong class="code">${escapeHtml(letter.code)}</strong></p>
<p>Log ind i Kantinekort med kortnummer og kode, og vælg derefter en adgangskode. Koden gælder kun, til du har valgt en adgangskode.<br>
Sign in to Kantinekort with the card number and code, then choose a password.</p>`
    : `<p>Log ind med kortnummeret og din adgangskode som hidtil.<br>Sign in with the card number and your password as before.</p>`;
  return `<!doctype html>
<html lang="da"><head><meta charset="utf-8"><title>Kortbrev – ${holder}</title>
<style>body{font-family:system-ui,sans-serif;margin:2cm;color:#111}h1{font-size:1.4rem}.code,.card{font-size:1.3rem;letter-spacing:.08em}</style>
</head><body>
<h1>Kantinekort – ${holder}</h1>
${schooling ? `<p>${schooling}</p>` : ""}
<p>Kortnummer / Card number: <strong class="card">${escapeHtml(spaced(letter.cardNumber))}</strong></p>
${login}
<p>Mister du kortet, så spær det under Konti og kontakt kantinen. / If you lose the card, block it under Konti and contact the canteen.</p>
</body></html>`;
}
