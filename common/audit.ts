// The back office's audit log in words: what each action is called and one line per entry (who did what to which card
// and holder, the amount and the reason), Danish first with English. Shared so the admin client can offer the kinds as a filter.
import { formatOre } from "./money.ts";

export interface Words {
  da: string;
  en: string;
}

/** Every action the back office writes to its audit log, with its name. */
export const AUDIT_ACTIONS = {
  "card.issue": { da: "Kort udstedt", en: "Card issued" },
  "card.block": { da: "Kort spærret", en: "Card blocked" },
  "card.unblock": { da: "Spærring ophævet", en: "Card unblocked" },
  "card.replace": { da: "Kort erstattet", en: "Card replaced" },
  "card.letter": { da: "Kortbrev udskrevet", en: "Card letter printed" },
  "cards.import": { da: "Klasseliste importeret", en: "Class list imported" },
  "cardholder.schooling": { da: "Skole og klasse ændret", en: "School and class changed" },
  "guardian.link": { da: "Værge tilføjet", en: "Guardian added" },
  "guardian.unlink": { da: "Værge fjernet", en: "Guardian removed" },
  "ledger.correction": { da: "Korrektion", en: "Correction" },
  "payout.paid": { da: "Udbetaling godkendt", en: "Payout approved" },
  "payout.rejected": { da: "Udbetaling afvist", en: "Payout rejected" },
  "terminal.create": { da: "Kasse oprettet", en: "Till created" },
  "terminal.revoke": { da: "Kasse tilbagekaldt", en: "Till revoked" },
  "screen.create": { da: "Køkkenskærm oprettet", en: "Kitchen screen created" },
  "screen.revoke": { da: "Køkkenskærm tilbagekaldt", en: "Kitchen screen revoked" },
  "product.create": { da: "Vare oprettet", en: "Product created" },
  "product.update": { da: "Vare ændret", en: "Product changed" },
  "menu.set": { da: "Menu ændret", en: "Menu changed" },
  "canteen.create": { da: "Kantine oprettet", en: "Canteen created" },
  "canteen.cutoff": { da: "Bestillingsfrist ændret", en: "Order cut-off changed" },
  "support.reply": { da: "Supportsag besvaret", en: "Support case answered" },
  "support.close": { da: "Supportsag lukket", en: "Support case closed" },
  "staff.create": { da: "Medarbejder oprettet", en: "Staff member created" },
  "staff.role": { da: "Rolle ændret", en: "Role changed" },
  "staff.disable": { da: "Medarbejder deaktiveret", en: "Staff member disabled" },
} as const satisfies Record<string, Words>;

export type AuditAction = keyof typeof AUDIT_ACTIONS;

const spaced = (cardNumber: string) => cardNumber.replace(/(\d{4})(?=\d)/g, "$1 ");
const text = (value: unknown): string | null => (typeof value === "string" && value.trim() !== "" ? value : null);

function card(number: unknown, holder: unknown, words: { card: string; unnamed: string }): string | null {
  const cardNumber = text(number);
  const name = text(holder);
  if (!cardNumber && !name) return null;
  if (!cardNumber) return name;
  return `${words.card} ${spaced(cardNumber)} (${name ?? words.unnamed})`;
}

/**
 * One line for an audit entry, e.g. "Korrektion: kort 1234 5678 9012 34 (Nina Nielsen), 15,00 kr. indsat, årsag: Fejl ved kassen".
 * Entries written before the details named cards and holders read with what they have.
 */
export function describeAudit(action: string, details: Record<string, unknown>): Words {
  const name = (AUDIT_ACTIONS as Record<string, Words>)[action] ?? { da: action, en: action };
  const parts: Words[] = [];
  const da = { card: "kort", unnamed: "uden navn" };
  const en = { card: "card", unnamed: "no name" };
  const subject = { da: card(details.cardNumber, details.holder, da), en: card(details.cardNumber, details.holder, en) };
  if (subject.da && subject.en) parts.push({ da: subject.da, en: subject.en });
  if (text(details.newCardNumber)) parts.push({ da: `nyt kort ${spaced(details.newCardNumber as string)}`, en: `new card ${spaced(details.newCardNumber as string)}` });
  const guardian = { da: card(details.guardianCardNumber, details.guardianName, da), en: card(details.guardianCardNumber, details.guardianName, en) };
  if (guardian.da && guardian.en) parts.push({ da: `værge: ${guardian.da}`, en: `guardian: ${guardian.en}` });
  if (typeof details.amountOre === "number") {
    const amount = formatOre(details.amountOre);
    if (details.direction === "credit") parts.push({ da: `${amount} indsat`, en: `${amount} credited` });
    else if (details.direction === "debit") parts.push({ da: `${amount} trukket`, en: `${amount} debited` });
    else parts.push({ da: amount, en: amount });
  }
  if (text(details.name) && !subject.da) parts.push({ da: details.name as string, en: details.name as string });
  if (typeof details.priceOre === "number") {
    const price = formatOre(details.priceOre);
    if (typeof details.previousPriceOre === "number") parts.push({ da: `pris ${formatOre(details.previousPriceOre)} → ${price}`, en: `price ${formatOre(details.previousPriceOre)} → ${price}` });
    else parts.push({ da: `pris ${price}`, en: `price ${price}` });
  }
  if (details.active === false) parts.push({ da: "taget af salg", en: "taken off sale" });
  if (details.active === true) parts.push({ da: "sat til salg igen", en: "back on sale" });
  if (text(details.deliveryDay)) parts.push({ da: `dag ${details.deliveryDay}`, en: `day ${details.deliveryDay}` });
  if (details.offered === true) parts.push({ da: "på menuen", en: "on the menu" });
  if (details.offered === false) parts.push({ da: "taget af menuen", en: "off the menu" });
  for (const limit of [details.portionLimit, details.offered === true ? details.quantityLimit : undefined]) {
    if (typeof limit === "number") parts.push({ da: `højst ${limit} portioner`, en: `at most ${limit} portions` });
  }
  if (text(details.email)) parts.push({ da: details.email as string, en: details.email as string });
  if (details.role === "admin" || details.role === "staff") parts.push(details.role === "admin" ? { da: "administrator", en: "administrator" } : { da: "kantinepersonale", en: "canteen staff" });
  if (typeof details.count === "number") parts.push({ da: `${details.count} kort`, en: `${details.count} cards` });
  if (text(details.time)) parts.push({ da: `kl. ${details.time}`, en: `at ${details.time}` });
  if (text(details.reason)) parts.push({ da: `årsag: ${details.reason}`, en: `reason: ${details.reason}` });
  return {
    da: parts.length ? `${name.da}: ${parts.map((part) => part.da).join(", ")}` : name.da,
    en: parts.length ? `${name.en}: ${parts.map((part) => part.en).join(", ")}` : name.en,
  };
}
