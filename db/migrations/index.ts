// The ordered list of migrations, imported statically so that a bundled server carries them.
import type { Migration } from "kysely";
import * as foundation from "./20261124T2130_foundation.ts";
import * as payments from "./20261124T2300_payments.ts";
import * as webshop from "./20261124T2310_webshop.ts";
import * as backoffice from "./20261124T2320_backoffice.ts";
import * as portal from "./20261124T2330_portal.ts";
import * as posRefunds from "./20261125T0400_pos_refunds.ts";
import * as auth from "./20261125T0410_auth.ts";
import * as backofficeTenant from "./20261125T0430_backoffice_tenant.ts";
import * as guardians from "./20261125T0440_guardians.ts";
import * as cardholderNeverNegative from "./20261125T0450_cardholder_never_negative.ts";
import * as accountOwnerIndex from "./20261125T0500_account_owner_index.ts";
import * as quickpay from "./20261201T1100_quickpay.ts";
import * as tillSalesIndex from "./20261201T1500_till_sales_index.ts";
import * as loginThrottles from "./20261202T0100_login_throttles.ts";
import * as backofficeSubmissions from "./20261202T0200_backoffice_submissions.ts";
import * as productPortionLimit from "./20261202T0201_product_portion_limit.ts";
import * as ops from "./20261202T0300_ops.ts";
import * as terminalGeneration from "./20261202T0500_terminal_generation.ts";
import * as tillScopedIds from "./20261207T1020_till_scoped_ids.ts";
import * as cardBlockedBy from "./20261207T1030_card_blocked_by.ts";
import * as sealedLedger from "./20261207T1060_sealed_ledger.ts";
import * as yearsOfData from "./20261207T1100_years_of_data.ts";
import * as canteenOrderPositions from "./20261207T1110_canteen_order_positions.ts";
import * as cardholderNameOrder from "./20261207T1120_cardholder_name_order.ts";
import * as keysNotNull from "./20261207T1130_keys_not_null.ts";
import * as productPhotos from "./20261207T1200_product_photos.ts";

export const migrations: Record<string, Migration> = {
  "20261124T2130_foundation": foundation,
  "20261124T2300_payments": payments,
  "20261124T2310_webshop": webshop,
  "20261124T2320_backoffice": backoffice,
  "20261124T2330_portal": portal,
  "20261125T0400_pos_refunds": posRefunds,
  "20261125T0410_auth": auth,
  "20261125T0430_backoffice_tenant": backofficeTenant,
  "20261125T0440_guardians": guardians,
  "20261125T0450_cardholder_never_negative": cardholderNeverNegative,
  "20261125T0500_account_owner_index": accountOwnerIndex,
  "20261201T1100_quickpay": quickpay,
  "20261201T1500_till_sales_index": tillSalesIndex,
  "20261202T0100_login_throttles": loginThrottles,
  "20261202T0200_backoffice_submissions": backofficeSubmissions,
  "20261202T0201_product_portion_limit": productPortionLimit,
  "20261202T0300_ops": ops,
  "20261202T0500_terminal_generation": terminalGeneration,
  "20261207T1020_till_scoped_ids": tillScopedIds,
  "20261207T1030_card_blocked_by": cardBlockedBy,
  "20261207T1060_sealed_ledger": sealedLedger,
  "20261207T1100_years_of_data": yearsOfData,
  "20261207T1110_canteen_order_positions": canteenOrderPositions,
  "20261207T1120_cardholder_name_order": cardholderNameOrder,
  "20261207T1130_keys_not_null": keysNotNull,
  "20261207T1200_product_photos": productPhotos,
};
