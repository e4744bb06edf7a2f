// The service bundle: what the services that reach beyond one transaction are handed (the store, the bus, the mailer,
// the acquirer, the configuration, the CPR cipher). It sits below the services and imports nothing above them
// (tools/layering.test.ts); the request context (server/context.ts) adds what only procedures use.
import type { Store } from "../../db/connect.ts";
import type { Config } from "../config.ts";
import type { EventBus } from "../events/bus.ts";
import type { Mailer } from "../mail/mailer.ts";
import type { Acquirer } from "../acquirer/acquirer.ts";
import type { CprCipher } from "../auth/cpr.ts";

export interface ServiceBundle {
  store: Store;
  bus: EventBus;
  config: Config;
  mailer: Mailer;
  cpr: CprCipher;
  acquirer: Acquirer;
}
