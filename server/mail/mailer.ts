// Outgoing mail behind one interface: SMTP (nodemailer) when SMTP_URL is set, otherwise an outbox table (dev page, tests).
import nodemailer, { type Transporter } from "nodemailer";
import type { Store } from "../../db/connect.ts";
import { db } from "../../db/query.ts";
import { errorField, log } from "../ops/logger.ts";

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

export class OutboxMailer implements Mailer {
  constructor(private readonly store: Store) {}

  async send(message: MailMessage): Promise<void> {
    await this.store.write((tx) =>
      tx.run(db.insertInto("outbox").values({ recipient: message.to, subject: message.subject, body_text: message.text, created_at: Date.now() })),
    );
  }
}

export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;

  constructor(smtpUrl: string, private readonly from: string) {
    this.transport = nodemailer.createTransport(smtpUrl);
  }

  /**
   * Hands the message to nodemailer and returns at once. Waiting for the SMTP server would make "Glemt adgangskode"
   * answer measurably slower for a known e-mail than for an unknown one, which would reveal who has an account.
   */
  async send(message: MailMessage): Promise<void> {
    this.transport
      .sendMail({ from: this.from, to: message.to, subject: message.subject, text: message.text })
      .catch((error: unknown) => log.error({ subject: message.subject, err: errorField(error) }, "SMTP delivery failed"));
  }
}

export interface OutboxEntry {
  id: number;
  recipient: string;
  subject: string;
  body: string;
  createdAt: number;
}

export function readOutbox(store: Store, limit = 50): OutboxEntry[] {
  return store.read((tx) =>
    tx.all(db.selectFrom("outbox").select(["id", "recipient", "subject", "body_text", "created_at"]).orderBy("id", "desc").limit(limit)).map((row) => ({ id: row.id, recipient: row.recipient, subject: row.subject, body: row.body_text, createdAt: row.created_at })),
  );
}

/** Mail must never break the action that sends it: failures are logged (without the body) and swallowed. */
export function sendQuietly(mailer: Mailer, message: MailMessage): Promise<void> {
  return mailer.send(message).catch((error) => log.error({ subject: message.subject, err: errorField(error) }, "mail to a recipient failed"));
}
