// Both Mailer adapters: the outbox table, and SMTP against a tiny fake SMTP server on loopback.
import { afterEach, beforeEach, expect, test } from "vitest";
import type { Socket } from "bun";
import { createTestStore, type TestStore } from "../testing/harness.ts";
import { OutboxMailer, readOutbox, sendQuietly, SmtpMailer, type Mailer } from "./mailer.ts";

let testStore: TestStore;
beforeEach(async () => {
  testStore = await createTestStore();
});
afterEach(async () => {
  await testStore.close();
});

/** Just enough SMTP (no TLS, no auth) for nodemailer to deliver one message; collects the DATA sections. */
function fakeSmtpServer() {
  const messages: string[] = [];
  const state = new Map<Socket<undefined>, { inData: boolean; buffer: string; data: string }>();
  const server = Bun.listen<undefined>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(socket) {
        state.set(socket, { inData: false, buffer: "", data: "" });
        socket.write("220 fake.smtp ESMTP\r\n");
      },
      data(socket, chunk) {
        const session = state.get(socket)!;
        session.buffer += chunk.toString();
        let newline: number;
        while ((newline = session.buffer.indexOf("\r\n")) >= 0) {
          const line = session.buffer.slice(0, newline);
          session.buffer = session.buffer.slice(newline + 2);
          if (session.inData) {
            if (line === ".") {
              session.inData = false;
              messages.push(session.data);
              session.data = "";
              socket.write("250 2.0.0 queued\r\n");
            } else session.data += line + "\n";
            continue;
          }
          const command = line.slice(0, 4).toUpperCase();
          if (command === "EHLO" || command === "HELO") socket.write("250-fake.smtp\r\n250 8BITMIME\r\n");
          else if (command === "DATA") {
            session.inData = true;
            socket.write("354 go ahead\r\n");
          } else if (command === "QUIT") {
            socket.write("221 bye\r\n");
            socket.end();
          } else socket.write("250 OK\r\n");
        }
      },
      close(socket) {
        state.delete(socket);
      },
    },
  });
  return { messages, port: server.port, stop: () => server.stop(true) };
}

test("the outbox mailer stores each message for the dev page and tests", async () => {
  const mailer: Mailer = new OutboxMailer(testStore.store);
  await mailer.send({ to: "a@example.dk", subject: "Nulstil adgangskode", text: "Hej" });
  await mailer.send({ to: "b@example.dk", subject: "Supportsag S-000001 er oprettet", text: "Tak" });
  expect(readOutbox(testStore.store).map((mail) => [mail.recipient, mail.subject, mail.body])).toEqual([
    ["b@example.dk", "Supportsag S-000001 er oprettet", "Tak"],
    ["a@example.dk", "Nulstil adgangskode", "Hej"],
  ]);
});

test("the SMTP mailer delivers through SMTP_URL, with the configured sender and Danish subject intact", async () => {
  const smtp = fakeSmtpServer();
  try {
    const mailer = new SmtpMailer(`smtp://127.0.0.1:${smtp.port}?ignoreTLS=true`, "Kantinekort <no-reply@kantine.example.dk>");
    await mailer.send({ to: "anne@example.dk", subject: "Nulstil adgangskode", text: "Klik på linket: https://kantine.example.dk/nulstil-adgangskode?token=abc" });
    const deadline = Date.now() + 5_000;
    while (smtp.messages.length === 0 && Date.now() < deadline) await Bun.sleep(20);
    expect(smtp.messages).toHaveLength(1);
    const message = smtp.messages[0]!;
    expect(message).toMatch(/^From: Kantinekort <no-reply@kantine\.example\.dk>$/m);
    expect(message).toMatch(/^To: anne@example\.dk$/m);
    expect(message).toMatch(/^Subject: Nulstil adgangskode$/m);
    // Nothing went to the outbox table: SMTP replaces it.
    expect(readOutbox(testStore.store)).toEqual([]);
  } finally {
    smtp.stop();
  }
});

test("a failing mail server never fails the action that sends mail", async () => {
  // Nothing listens on port 9 of loopback: delivery fails, and neither send nor sendQuietly throws.
  const mailer = new SmtpMailer("smtp://127.0.0.1:9", "Kantinekort <no-reply@kantine.example.dk>");
  await expect(sendQuietly(mailer, { to: "x@example.dk", subject: "Test", text: "x" })).resolves.toBeUndefined();
  const failing: Mailer = { send: () => Promise.reject(new Error("outbox full")) };
  await expect(sendQuietly(failing, { to: "x@example.dk", subject: "Test", text: "x" })).resolves.toBeUndefined();
  await Bun.sleep(100);
});
