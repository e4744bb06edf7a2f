// Back office for canteen staff and administrators: one router whose procedures come from one module per noun in
// ./backoffice/ (cards, guardians, devices, catalogue, payouts, support cases, reports, staff), so every path stays `backoffice.*`.
import { router } from "../trpc.ts";
import { sessionProcedures } from "./backoffice/session.ts";
import { cardProcedures } from "./backoffice/cards.ts";
import { guardianProcedures } from "./backoffice/guardians.ts";
import { deviceProcedures } from "./backoffice/devices.ts";
import { catalogueProcedures } from "./backoffice/catalogue.ts";
import { payoutProcedures } from "./backoffice/payouts.ts";
import { caseProcedures } from "./backoffice/cases.ts";
import { reportProcedures } from "./backoffice/reports.ts";
import { staffProcedures } from "./backoffice/staff.ts";

export const backofficeRouter = router({
  ...sessionProcedures,
  ...cardProcedures,
  ...guardianProcedures,
  ...deviceProcedures,
  ...catalogueProcedures,
  ...payoutProcedures,
  ...caseProcedures,
  ...reportProcedures,
  ...staffProcedures,
});
