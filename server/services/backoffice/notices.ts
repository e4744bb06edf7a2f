// The e-mails a cardholder and their guardians get when the back office hands someone power over the card's money.
import type { MailMessage } from "../../mail/mailer.ts";

const spaced = (cardNumber: string | null) => (cardNumber ?? "").replace(/(\d{4})(?=\d)/g, "$1 ");

/** A new guardian may see and move the child's money: the child and the family's other guardians hear of it at once. */
export function guardianLinkedNotice(
  to: string,
  link: { child: { name: string | null; cardNumber: string | null }; guardian: { name: string | null; cardNumber: string | null }; by: string },
): MailMessage {
  const child = link.child.name ?? `kort ${spaced(link.child.cardNumber)}`;
  const guardian = `${link.guardian.name ?? "En kortholder"} (kort ${spaced(link.guardian.cardNumber)})`;
  return {
    to,
    subject: `Ny værge på kantinekort ${spaced(link.child.cardNumber)}`,
    text:
      `${guardian} er nu værge for ${child}s kantinekort ${spaced(link.child.cardNumber)} og kan se saldoen, indbetale, overføre og udbetale fra kortets konto.\n` +
      `Tilføjet af ${link.by} i kantinens administration.\n\nEr det ikke aftalt med jer, så kontakt kantinen straks.\n\n---\n` +
      `${guardian} is now a guardian of ${child}'s canteen card and can see, top up, transfer and pay out its balance. Added by ${link.by}. ` +
      `If you did not agree to this, contact the canteen at once.`,
  };
}

/**
 * A guardian link ended: the ex-guardian, the child and the remaining guardians hear of it, and of the Auto-optank
 * and the low-balance alert the ex-guardian had on the card, which ended with the link.
 */
export function guardianUnlinkedNotice(
  to: string,
  unlink: { child: { name: string | null; cardNumber: string | null }; guardian: { name: string | null; cardNumber: string | null }; alertsRemoved: number; agreementsCancelled: number; by: string },
): MailMessage {
  const child = unlink.child.name ?? `kort ${spaced(unlink.child.cardNumber)}`;
  const guardian = `${unlink.guardian.name ?? "En kortholder"} (kort ${spaced(unlink.guardian.cardNumber)})`;
  const endedDa = [
    ...(unlink.agreementsCancelled > 0 ? [`Auto-optank, som ${unlink.guardian.name ?? "værgen"} betalte, er stoppet, og det gemte betalingskort trækkes ikke mere.`] : []),
    ...(unlink.alertsRemoved > 0 ? [`Besked om lav saldo til ${unlink.guardian.name ?? "værgen"} er slået fra.`] : []),
  ];
  const endedEn = [
    ...(unlink.agreementsCancelled > 0 ? ["The automatic top-up they paid for has been cancelled, and their saved card will not be charged again."] : []),
    ...(unlink.alertsRemoved > 0 ? ["Their low-balance alert has been switched off."] : []),
  ];
  return {
    to,
    subject: `${unlink.guardian.name ?? "En værge"} er ikke længere værge på kantinekort ${spaced(unlink.child.cardNumber)}`,
    text:
      `${guardian} er ikke længere værge for ${child}s kantinekort ${spaced(unlink.child.cardNumber)} og kan ikke længere se eller flytte kortets penge.\n` +
      (endedDa.length > 0 ? `${endedDa.join("\n")}\n` : "") +
      `Fjernet af ${unlink.by} i kantinens administration.\n\nEr det ikke aftalt med jer, så kontakt kantinen.\n\n---\n` +
      `${guardian} is no longer a guardian of ${child}'s canteen card and can no longer see or move its money. ` +
      (endedEn.length > 0 ? `${endedEn.join(" ")} ` : "") +
      `Removed by ${unlink.by}. If you did not agree to this, contact the canteen.`,
  };
}

/** A replacement card or an unblocked card lets its holder spend again: the holder and the guardians are told. */
export function cardChangedNotice(to: string, change: { kind: "replaced" | "unblocked"; holder: string | null; cardNumber: string; newCardNumber?: string; by: string }): MailMessage {
  const holder = change.holder ?? "kortholderen";
  if (change.kind === "replaced") {
    return {
      to,
      subject: `Kantinekort ${spaced(change.cardNumber)} er erstattet`,
      text:
        `Kantinekort ${spaced(change.cardNumber)} (${holder}) er spærret for altid og erstattet af et nyt kort, der ender på ${change.newCardNumber?.slice(-4)}. ` +
        `Saldo og grænser følger med. Erstattet af ${change.by}.\nAlle, der var logget ind med kortet, er logget ud.\n\nHar I ikke bedt om et nyt kort, så kontakt kantinen straks.\n\n---\n` +
        `Canteen card ${spaced(change.cardNumber)} has been replaced by a new card ending in ${change.newCardNumber?.slice(-4)} (by ${change.by}). If you did not ask for this, contact the canteen at once.`,
    };
  }
  return {
    to,
    subject: `Kantinekort ${spaced(change.cardNumber)} er åbnet igen`,
    text:
      `Spærringen af kantinekort ${spaced(change.cardNumber)} (${holder}) er ophævet af ${change.by}; kortet kan nu bruges ved kassen igen.\n\nHar I ikke bedt om det, så spær kortet under Konti og kontakt kantinen.\n\n---\n` +
      `Canteen card ${spaced(change.cardNumber)} has been unblocked by ${change.by}. If you did not ask for this, block it under Konti and contact the canteen.`,
  };
}
