// Turns committed transfers into balance events for both accounts; called only after the transaction commits.
import type { BalanceEvent, EventBus } from "../events/bus.ts";
import type { Transfer } from "./ledger.ts";

/** Both sides of a transfer, ordered by account id: the order every stream uses, live or replayed. */
export function balanceEventsOf(transfer: Transfer): BalanceEvent[] {
  const common = { seq: transfer.seq, transferId: transfer.id, kind: transfer.kind, description: transfer.description, createdAt: transfer.createdAt };
  const events: BalanceEvent[] = [
    { ...common, accountId: transfer.debitAccountId, amountOre: -transfer.amountOre, balanceOre: transfer.debitBalanceAfterOre },
    { ...common, accountId: transfer.creditAccountId, amountOre: transfer.amountOre, balanceOre: transfer.creditBalanceAfterOre },
  ];
  return events.sort((a, b) => a.accountId - b.accountId);
}

export function publishTransfers(bus: EventBus, transfers: readonly Transfer[]): void {
  for (const transfer of transfers) {
    for (const event of balanceEventsOf(transfer)) bus.publish("balance", event.accountId, event);
  }
}
