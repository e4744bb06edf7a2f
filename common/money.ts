// The one money formatter: integer øre to Danish kroner text.
const formatter = new Intl.NumberFormat("da-DK", { style: "currency", currency: "DKK" });

export function formatOre(amountOre: number): string {
  return formatter.format(amountOre / 100);
}
