// The typed shape of the SQLite database (Kysely `Database`), kept in step with db/migrations by hand.
import type { Generated } from "kysely";
import type { DeclineReason } from "../common/declines.ts";

export type CardStatus = "active" | "blocked";
export type UserRole = "cardholder" | "staff" | "admin";

/** Kinds of ledger account. Only `cardholder` accounts must never go below zero. */
export type LedgerAccountKind =
  | "cardholder"
  | "acquirer_clearing"
  | "canteen_revenue"
  | "payout_clearing"
  | "corrections";

/** Why the ledger declined a transfer (stored, so that a retry gets the same answer). */
export type TransferDeclineReason = "debit_account_not_found" | "credit_account_not_found" | "insufficient_funds";

export type TransferKind =
  | "deposit"
  | "sale"
  | "auto_top_up"
  | "order"
  | "refund"
  | "payout"
  | "transfer"
  | "correction";

export interface TenantsTable {
  id: Generated<number>;
  name: string;
  created_at: number;
}

export interface CanteensTable {
  id: Generated<number>;
  tenant_id: number;
  name: string;
  /** The ledger account that sales at this canteen are credited to. */
  revenue_account_id: number;
  created_at: number;
  /** Orders for a day close at this local (Copenhagen) time, "HH:MM", on the delivery day itself. */
  order_cutoff_time: Generated<string>;
}

export interface UsersTable {
  id: Generated<number>;
  tenant_id: number;
  role: UserRole;
  name: string | null;
  email: string | null;
  /** Set once the cardholder chooses a password; before that the card's verification code logs in. */
  password_hash: string | null;
  /** CPR number, encrypted at rest (issue 3); never sent to clients unmasked. */
  cpr_encrypted: string | null;
  address: string | null;
  postal_code: string | null;
  city: string | null;
  phone: string | null;
  school: string | null;
  class_name: string | null;
  track: string | null;
  created_at: number;
  /** Set when an administrator disables a staff account; a disabled account cannot sign in. */
  disabled_at: number | null;
}

export interface LedgerAccountsTable {
  id: Generated<number>;
  kind: LedgerAccountKind;
  /** Stable name for system accounts (e.g. `acquirer_clearing`); null for cardholder accounts. */
  code: string | null;
  name: string;
  /** The cardholder who owns the account; null for system accounts. */
  owner_user_id: number | null;
  /** 1 for system accounts, which may hold a negative balance; 0 enforces balance ≥ 0. */
  allow_negative: number;
  balance_ore: number;
  debits_ore: number;
  credits_ore: number;
  created_at: number;
}

export interface CardsTable {
  id: Generated<number>;
  card_number: string;
  user_id: number;
  account_id: number;
  verification_code_hash: string;
  status: CardStatus;
  /** Maximum spending in øre per Copenhagen calendar day/week/month; null means no limit. */
  limit_daily_ore: number | null;
  limit_weekly_ore: number | null;
  limit_monthly_ore: number | null;
  created_at: number;
  /** The card that replaced this one (lost or damaged card); null while it is the current card. */
  replaced_by_card_id: number | null;
  /**
   * Who blocked the card: its holder or a guardian ("Spær kort" in the portal) — then only an administrator reopens or
   * replaces it — or staff in the back office. Null while active, and on a card blocked outside both (seed, tools).
   */
  blocked_by: CardBlockedBy | null;
}

export type CardBlockedBy = "holder" | "guardian" | "staff";

export interface ProductsTable {
  id: Generated<number>;
  canteen_id: number;
  name: string;
  description: string | null;
  /** Shown as the webshop's category heading, e.g. "Dagens ret". */
  category: string;
  price_ore: number;
  allergens: string | null;
  /** 1 (the default) while the product is on sale; 0 hides it from menus and tills. */
  active: Generated<number>;
  created_at: number;
  /** Portions per day: the limit a menu item gets when the product is ticked onto a day; null means no limit. */
  daily_portion_limit: number | null;
  /** Null without a photo; bumped on every upload, so the photo's address changes and caches refresh. */
  photo_version: Generated<number | null>;
}

/** A product's photo at one width (a srcset entry): re-encoded WebP, never the bytes as uploaded. */
export interface ProductPhotosTable {
  product_id: number;
  width_px: number;
  height_px: number;
  mime: "image/webp";
  bytes: Uint8Array;
}

export interface TerminalsTable {
  id: Generated<number>;
  canteen_id: number;
  name: string;
  /** SHA-256 (hex) of the terminal's API key; the key itself is shown once and never stored. */
  api_key_hash: string;
  revoked_at: number | null;
  created_at: number;
}

/** One row (id 1): moved by triggers whenever a terminal or a canteen changes; see server/auth/terminal.ts. */
export interface TerminalGenerationTable {
  id: number;
  value: number;
}

export interface TransfersTable {
  /** Insertion order; also the event id that live subscriptions resume from. */
  seq: Generated<number>;
  /** The client's idempotency key (namespaced, e.g. `sale:<uuid>`). */
  id: string;
  debit_account_id: number;
  credit_account_id: number;
  amount_ore: number;
  kind: TransferKind;
  /** What the transfer is about, e.g. the sale id a refund refers to. */
  reference: string | null;
  /** Human-readable text for statements (canteen, items). */
  description: string | null;
  debit_balance_after_ore: number;
  credit_balance_after_ore: number;
  created_at: number;
}

export interface DeclinedTransfersTable {
  id: string;
  debit_account_id: number;
  credit_account_id: number;
  amount_ore: number;
  kind: TransferKind;
  reference: string | null;
  reason: TransferDeclineReason;
  created_at: number;
}

export interface SalesTable {
  /** The till's sale id; retries with it never charge twice. Unique per terminal: the primary key is (terminal_id, id). */
  id: string;
  terminal_id: number;
  card_number: string;
  card_id: number | null;
  amount_ore: number;
  items_json: string | null;
  status: "approved" | "declined";
  reason: DeclineReason | null;
  transfer_id: string | null;
  balance_after_ore: number | null;
  created_at: number;
}

export interface RefundsTable {
  /** The till's refund id, unique per terminal: the primary key is (terminal_id, id). */
  id: string;
  sale_id: string;
  terminal_id: number;
  /** The terminal of the refunded sale (with sale_id, the sale's key); null when no sale of the canteen was found. */
  sale_terminal_id: number | null;
  amount_ore: number;
  status: "approved" | "declined";
  reason: DeclineReason | null;
  transfer_id: string | null;
  created_at: number;
  /** The amount the till asked for; null when it asked for what remains of the sale. */
  requested_amount_ore: number | null;
  /** The card's balance in the original answer (also for declines), returned again on a replay. */
  balance_after_ore: number | null;
}

export interface SessionsTable {
  /** SHA-256 (hex) of the session token; the token itself lives only in the user's cookie. */
  id: string;
  user_id: number;
  /** Idle expiry (ms since epoch), slid forward on use but never past absolute_expires_at. */
  expires_at: number;
  absolute_expires_at: number;
  created_at: number;
}

export interface LoginAttemptsTable {
  id: Generated<number>;
  /** The card number typed as username (whether or not such a card exists). */
  username: string;
  client_address: string | null;
  success: number;
  /** 1 when the try was refused because of a lockout (logged, never counted towards a lock). */
  refused: Generated<number>;
  created_at: number;
}

/** Login throttling state (server/auth/login-limit.ts): one row per account under guessing, one per failing address. */
export interface LoginThrottlesTable {
  scope: "user" | "address";
  /** The user id (as text) or the client address. */
  subject: string;
  failures: number;
  first_failure_at: number;
  last_failure_at: number;
}

export interface PasswordResetTokensTable {
  /** SHA-256 (hex) of the token e-mailed to the user; single use, short-lived. */
  token_hash: string;
  user_id: number;
  expires_at: number;
  used_at: number | null;
  created_at: number;
}

export interface OutboxTable {
  id: Generated<number>;
  recipient: string;
  subject: string;
  body_text: string;
  created_at: number;
}

export interface SupportCasesTable {
  /** Shown to the cardholder as the case number "S-000123". */
  id: Generated<number>;
  user_id: number;
  account_id: number;
  name: string;
  email: string;
  phone: string | null;
  description: string;
  status: "open" | "closed";
  created_at: number;
  closed_at: number | null;
}

export interface UserPhotosTable {
  user_id: number;
  mime: "image/jpeg" | "image/png" | "image/webp";
  bytes: Uint8Array;
  /** Bumped on every upload so the photo URL changes and caches refresh. */
  version: number;
  updated_at: number;
}

/** A guardian (e.g. a parent) may act on the child's card accounts in the portal; both are cardholders of one tenant. */
export interface GuardiansTable {
  guardian_user_id: number;
  child_user_id: number;
  created_at: number;
}

export type OrderStatus = "received" | "in_progress" | "ready" | "delivered" | "cancelled";

/** Which products a canteen offers on a delivery day, with an optional limit on how many can be ordered. */
export interface MenuItemsTable {
  id: Generated<number>;
  canteen_id: number;
  /** Copenhagen calendar day, "YYYY-MM-DD". */
  delivery_day: string;
  product_id: number;
  quantity_limit: number | null;
}

export interface OrdersTable {
  id: Generated<number>;
  user_id: number;
  account_id: number;
  canteen_id: number;
  delivery_day: string;
  status: OrderStatus;
  total_ore: number;
  /** The client's idempotency key, unique per user. */
  idempotency_key: string;
  transfer_id: string;
  refund_transfer_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface OrderLinesTable {
  id: Generated<number>;
  order_id: number;
  product_id: number;
  /** Name and price as they were when ordered, so a later catalogue change does not rewrite history. */
  name: string;
  unit_price_ore: number;
  quantity: number;
  comment: string | null;
}

/** Append-only log of order state changes; `seq` is the event id that kitchen screens and portals resume from. */
export interface OrderEventsTable {
  seq: Generated<number>;
  /** The event's position among its canteen's events (1, 2, 3 …): what a kitchen screen resumes from, never `seq`. */
  canteen_seq: number;
  order_id: number;
  user_id: number;
  canteen_id: number;
  delivery_day: string;
  status: OrderStatus;
  created_at: number;
}

export interface KitchenScreensTable {
  id: Generated<number>;
  canteen_id: number;
  name: string;
  /** SHA-256 (hex) of the screen's token; the token itself is shown once. */
  token_hash: string;
  revoked_at: number | null;
  created_at: number;
}

export type PaymentPurpose = "deposit" | "auto_top_up_setup" | "auto_top_up";
export type PaymentStatus = "pending" | "captured" | "declined" | "failed";

export interface PaymentsTable {
  id: string;
  user_id: number;
  account_id: number;
  idempotency_key: string;
  purpose: PaymentPurpose;
  amount_ore: number;
  receipt_email: string | null;
  status: PaymentStatus;
  reason: string | null;
  redirect_url: string | null;
  /** Set exactly when the payment is captured. */
  transfer_id: string | null;
  card_brand: string | null;
  card_last4: string | null;
  created_at: number;
  updated_at: number;
  /** The order id the gateway sees (4–20 characters, unique); null on payments from before QuickPay. */
  order_id: string | null;
  /** The gateway's own id (a QuickPay payment or subscription id), for reading a lost result back. */
  acquirer_ref: string | null;
  /** When the gateway was last asked about this pending payment. */
  checked_at: number | null;
}

export interface AutoTopUpAgreementsTable {
  id: Generated<number>;
  user_id: number;
  account_id: number;
  amount_ore: number;
  receipt_email: string;
  /** The acquirer's opaque token for the saved card; never a card number. */
  card_token: string | null;
  card_brand: string | null;
  card_last4: string | null;
  status: "awaiting_card" | "active" | "paused" | "cancelled";
  consecutive_failures: Generated<number>;
  /** At most one top-up in flight per account. */
  in_flight_payment_id: string | null;
  setup_payment_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface AutoTopUpResultsTable {
  seq: Generated<number>;
  user_id: number;
  account_id: number;
  payment_id: string;
  status: "captured" | "declined" | "failed";
  reason: string | null;
  amount_ore: number;
  balance_after_ore: number;
  agreement_paused: Generated<number>;
  created_at: number;
}

export interface PayoutsTable {
  id: Generated<number>;
  user_id: number;
  account_id: number;
  idempotency_key: string;
  name: string;
  registration_number: string;
  bank_account_number: string;
  message: string | null;
  amount_ore: number;
  status: "pending" | "paid" | "rejected";
  reject_reason: string | null;
  transfer_id: string;
  return_transfer_id: string | null;
  created_at: number;
  decided_at: number | null;
}

/** A payer's low-balance alert on one card account (at most one e-mail a Copenhagen day). */
export interface LowBalanceAlertsTable {
  account_id: number;
  /** Who chose the alert and gets it: the holder or a guardian. */
  user_id: number;
  threshold_ore: number;
  email: string;
  last_alert_day: string | null;
  created_at: number;
  updated_at: number;
}

/** Append-only (enforced by triggers): who did what in the back office. */
export interface AuditLogTable {
  id: Generated<number>;
  actor_user_id: number | null;
  actor_label: string;
  action: string;
  target: string | null;
  details_json: string | null;
  created_at: number;
  /** Null for entries whose actor is unknown; those are shown to no tenant. */
  tenant_id: number | null;
}

/** The first answer of each back-office create, per staff member, procedure and form key (see server/services/backoffice/submissions.ts). */
export interface BackofficeSubmissionsTable {
  key_hash: string;
  actor_user_id: number;
  procedure: string;
  request_mac: string;
  sealed_answer: string;
  created_at: number;
}

export interface Database {
  tenants: TenantsTable;
  canteens: CanteensTable;
  users: UsersTable;
  ledger_accounts: LedgerAccountsTable;
  cards: CardsTable;
  products: ProductsTable;
  product_photos: ProductPhotosTable;
  terminals: TerminalsTable;
  terminal_generation: TerminalGenerationTable;
  transfers: TransfersTable;
  declined_transfers: DeclinedTransfersTable;
  sales: SalesTable;
  refunds: RefundsTable;
  sessions: SessionsTable;
  login_attempts: LoginAttemptsTable;
  login_throttles: LoginThrottlesTable;
  password_reset_tokens: PasswordResetTokensTable;
  outbox: OutboxTable;
  support_cases: SupportCasesTable;
  user_photos: UserPhotosTable;
  guardians: GuardiansTable;
  menu_items: MenuItemsTable;
  orders: OrdersTable;
  order_lines: OrderLinesTable;
  order_events: OrderEventsTable;
  kitchen_screens: KitchenScreensTable;
  payments: PaymentsTable;
  auto_top_up_agreements: AutoTopUpAgreementsTable;
  auto_top_up_results: AutoTopUpResultsTable;
  payouts: PayoutsTable;
  low_balance_alerts: LowBalanceAlertsTable;
  audit_log: AuditLogTable;
  backoffice_submissions: BackofficeSubmissionsTable;
  backups: BackupsTable;
  ops_heartbeat: OpsHeartbeatTable;
  cardholder_search: CardholderSearchTable;
  report_days: ReportDaysTable;
  ledger_seals: LedgerSealsTable;
}

/** The report totals of one closed Copenhagen day of one school (see services/backoffice/period-report.ts). */
export interface ReportDaysTable {
  tenant_id: number;
  /** "YYYY-MM-DD". */
  day: string;
  /** The day report's version when computed; another version is computed again. */
  version: number;
  totals_json: string;
  computed_at: number;
}

/**
 * FTS5 (trigram) search text of one cardholder, rowid = the user's id; written only by triggers (see the migration
 * 20261207T1100_years_of_data), so it is always in step with the names and cards it was made from.
 */
export interface CardholderSearchTable {
  rowid: number;
  text: string;
}

/** One backup attempt (scheduled or `npm run backup`); the back office shows the newest. */
export interface BackupsTable {
  id: Generated<number>;
  started_at: number;
  finished_at: number;
  trigger: "scheduled" | "manual";
  ok: 0 | 1;
  file: string | null;
  bytes: number | null;
  error: string | null;
}

/** The single row /readyz rewrites to prove the database takes a commit. */
export interface OpsHeartbeatTable {
  id: number;
  at: number;
}

/** A checkpoint of the ledger's hash chain: its head after transfer `through_seq` (server/ledger/chain.ts). Append-only. */
export interface LedgerSealsTable {
  through_seq: number;
  /** SHA-256 chain value, 64 lowercase hex characters. */
  head: string;
  sealed_at_ms: number;
}
