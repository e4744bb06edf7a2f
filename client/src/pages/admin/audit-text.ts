// The audit log in words: each action code (card.block, ledger.correction, …) with its details becomes a sentence in
// the back office's language naming the card, the holder, the amount and the reason, instead of "card.issue card:6".
import { formatOre } from "../../format.ts";
import { language } from "../../i18n.ts";

export interface AuditDetails {
  cardNumber?: string | null;
  holder?: string | null;
  amountOre?: number;
  reason?: string;
  [key: string]: unknown;
}

/** The kinds staff can filter on, in the order the filter lists them; each covers one or more action codes. */
export const AUDIT_KINDS = ["card", "guardian", "money", "payout", "catalogue", "device", "staff", "support"] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

export const kindOfAction = (action: string): AuditKind | null => {
  const prefix = action.split(".")[0]!;
  if (prefix === "card" || prefix === "cards" || prefix === "cardholder") return "card";
  if (prefix === "guardian") return "guardian";
  if (prefix === "ledger") return "money";
  if (prefix === "payout") return "payout";
  if (prefix === "product" || prefix === "menu" || prefix === "canteen") return "catalogue";
  if (prefix === "terminal" || prefix === "screen") return "device";
  if (prefix === "staff") return "staff";
  if (prefix === "support") return "support";
  return null;
};

const text = (value: unknown): string => (typeof value === "string" ? value : typeof value === "number" ? String(value) : "");
const money = (value: unknown): string => (typeof value === "number" ? formatOre(value) : "");

/** "Emil Hansen (kort 12345678901234)", or what of it is known. */
function whose(details: AuditDetails, en: boolean): string {
  const holder = text(details.holder).trim();
  const card = text(details.cardNumber);
  if (holder && card) return `${holder} (${en ? "card" : "kort"} ${card})`;
  if (holder) return holder;
  if (card) return `${en ? "card" : "kort"} ${card}`;
  return en ? "a cardholder" : "en kortholder";
}

const ofAmount = (details: AuditDetails, en: boolean) => (typeof details.amountOre === "number" ? ` ${en ? "of" : "på"} ${formatOre(details.amountOre)}` : "");
const withReason = (sentence: string, details: AuditDetails, en: boolean) => (text(details.reason) ? `${sentence} – ${en ? "reason" : "årsag"}: ${text(details.reason)}` : sentence);

/** One audit entry as a sentence; an unknown code is shown as it is, so nothing is ever hidden. */
export function describeAudit(action: string, target: string | null, details: AuditDetails): string {
  const en = language() === "en";
  const who = whose(details, en);
  switch (action) {
    case "card.issue":
      return en ? `Issued card ${text(details.cardNumber)} to ${text(details.holder) || "a cardholder"}` : `Udstedte kort ${text(details.cardNumber)} til ${text(details.holder) || "en kortholder"}`;
    case "card.block":
      return en ? `Blocked the card of ${who}` : `Spærrede kortet for ${who}`;
    case "card.unblock":
      return en ? `Unblocked the card of ${who}` : `Åbnede kortet for ${who}`;
    case "card.replace":
      return en ? `Replaced the card of ${who} with card ${text(details.newCardNumber)}` : `Erstattede kortet for ${who} med kort ${text(details.newCardNumber)}`;
    case "cardholder.schooling": {
      const place = [details.school, details.className, details.track].map(text).filter(Boolean).join(" / ") || (en ? "none" : "ingen");
      return en ? `Set school and class of ${who}: ${place}` : `Satte skole og klasse for ${who}: ${place}`;
    }
    case "cards.import":
      return en ? `Imported a class list: ${text(details.count)} cards issued` : `Importerede en klasseliste: ${text(details.count)} kort udstedt`;
    case "guardian.link":
      return en
        ? `Made ${text(details.guardianName) || "a cardholder"} (card ${text(details.guardianCardNumber)}) guardian of ${who}`
        : `Gjorde ${text(details.guardianName) || "en kortholder"} (kort ${text(details.guardianCardNumber)}) til værge for ${who}`;
    case "guardian.unlink":
      return en ? `Removed ${text(details.guardianName) || "a guardian"} as guardian of ${who}` : `Fjernede ${text(details.guardianName) || "en værge"} som værge for ${who}`;
    case "ledger.correction": {
      const credit = details.direction !== "debit";
      const sentence = en
        ? `Correction: ${credit ? "added" : "took"} ${money(details.amountOre)} ${credit ? "to" : "from"} the card of ${who}`
        : `Korrektion: ${credit ? "indsatte" : "trak"} ${money(details.amountOre)} ${credit ? "på" : "fra"} kortet for ${who}`;
      return withReason(sentence, details, en);
    }
    case "payout.paid":
      return en ? `Marked the payout${ofAmount(details, en)} from ${who} as paid` : `Markerede udbetalingen${ofAmount(details, en)} fra ${who} som udbetalt`;
    case "payout.rejected":
      return withReason(en ? `Rejected the payout${ofAmount(details, en)} from ${who}; the amount went back to the card` : `Afviste udbetalingen${ofAmount(details, en)} fra ${who}; beløbet gik tilbage til kortet`, details, en);
    case "product.create":
      return en ? `Created the product ${text(details.name)} at ${money(details.priceOre)}` : `Oprettede produktet ${text(details.name)} til ${money(details.priceOre)}`;
    case "product.update":
      return en ? `Changed the product ${text(details.name)} (price ${money(details.priceOre)})` : `Ændrede produktet ${text(details.name)} (pris ${money(details.priceOre)})`;
    case "menu.set": {
      const day = text(details.deliveryDay);
      const limit = typeof details.quantityLimit === "number" ? (en ? `, at most ${details.quantityLimit} portions` : `, højst ${details.quantityLimit} portioner`) : "";
      const name = text(details.productName) || `${en ? "product" : "produkt"} ${text(details.productId)}`;
      return details.offered === false ? (en ? `Took ${name} off the menu of ${day}` : `Tog ${name} af menuen ${day}`) : en ? `Put ${name} on the menu of ${day}${limit}` : `Satte ${name} på menuen ${day}${limit}`;
    }
    case "canteen.cutoff":
      return en ? `Set the order cut-off to ${text(details.time)}` : `Satte bestillingsfristen til kl. ${text(details.time).replace(":", ".")}`;
    case "terminal.create":
      return en ? `Created the till ${text(details.name)}` : `Oprettede kassen ${text(details.name)}`;
    case "terminal.revoke":
      return en ? `Revoked a till (${target ?? ""})` : `Tilbagekaldte en kasse (${target ?? ""})`;
    case "screen.create":
      return en ? `Created the kitchen screen ${text(details.name)}` : `Oprettede køkkenskærmen ${text(details.name)}`;
    case "screen.revoke":
      return en ? `Revoked a kitchen screen (${target ?? ""})` : `Tilbagekaldte en køkkenskærm (${target ?? ""})`;
    case "staff.create":
      return en ? `Created the staff member ${text(details.email)} (${text(details.role)})` : `Oprettede medarbejderen ${text(details.email)} (${details.role === "admin" ? "administrator" : "kantinepersonale"})`;
    case "staff.role":
      return en ? `Gave a staff member the role ${text(details.role)}` : `Gav en medarbejder rollen ${details.role === "admin" ? "administrator" : "kantinepersonale"}`;
    case "staff.disable":
      return en ? "Disabled a staff member" : "Deaktiverede en medarbejder";
    case "support.close":
      return en ? `Closed support case ${target ?? ""}` : `Lukkede supportsag ${target ?? ""}`;
    default:
      return `${action}${target ? ` ${target}` : ""}`;
  }
}
