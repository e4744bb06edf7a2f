// The back office's audit log as administrators read it: their own tenant's entries, newest first, filtered and a page at a time.
import { describeAudit, type Words } from "../../../common/audit.ts";
import { db } from "../../../db/query.ts";
import type { Tx } from "../../../db/tx.ts";
import { addDays, copenhagenMidnight } from "../../../common/calendar.ts";

export interface AuditEntry {
  id: number;
  actor: string;
  actorUserId: number | null;
  action: string;
  target: string | null;
  details: Record<string, unknown>;
  /** One line in words: who was concerned (card and holder), the amount and the reason. */
  summary: Words;
  createdAt: number;
}

export interface AuditFilter {
  /** Only entries of this staff member. */
  actorUserId?: number | undefined;
  /** Only these actions (exact names, e.g. "card.block"). */
  actions?: readonly string[] | undefined;
  /** Copenhagen days, "YYYY-MM-DD", both included. */
  from?: string | undefined;
  to?: string | undefined;
  /** Paging: entries older than this id (the `nextBeforeId` of the previous page). */
  beforeId?: number | undefined;
  limit?: number | undefined;
}

function midnight(day: string): number {
  const [year, month, date] = day.split("-").map(Number) as [number, number, number];
  return copenhagenMidnight(year, month, date);
}

/** One page of one tenant's audit log; another school's staff actions are not theirs to read. */
export function listAuditPage(tx: Tx, tenantId: number, filter: AuditFilter = {}): { entries: AuditEntry[]; nextBeforeId: number | null } {
  const limit = filter.limit ?? 50;
  const rows = tx.all(
    db
      .selectFrom("audit_log")
      .select(["id", "actor_user_id", "actor_label", "action", "target", "details_json", "created_at"])
      .where("tenant_id", "=", tenantId)
      .$if(filter.actorUserId !== undefined, (query) => query.where("actor_user_id", "=", filter.actorUserId!))
      .$if(filter.actions !== undefined && filter.actions.length > 0, (query) => query.where("action", "in", filter.actions!))
      .$if(filter.from !== undefined, (query) => query.where("created_at", ">=", midnight(filter.from!)))
      .$if(filter.to !== undefined, (query) => query.where("created_at", "<", midnight(addDays(filter.to!, 1))))
      .$if(filter.beforeId !== undefined, (query) => query.where("id", "<", filter.beforeId!))
      .orderBy("id", "desc")
      // One more than a page tells whether another page follows.
      .limit(limit + 1),
  );
  const entries = rows.slice(0, limit).map((row) => {
    const details = JSON.parse(row.details_json ?? "{}") as Record<string, unknown>;
    return {
      id: row.id,
      actor: row.actor_label,
      actorUserId: row.actor_user_id,
      action: row.action,
      target: row.target,
      details,
      summary: describeAudit(row.action, details),
      createdAt: row.created_at,
    };
  });
  return { entries, nextBeforeId: rows.length > limit ? entries.at(-1)!.id : null };
}

/** The newest entries of one tenant's audit log. */
export function listAudit(tx: Tx, tenantId: number, limit = 200): AuditEntry[] {
  return listAuditPage(tx, tenantId, { limit }).entries;
}
