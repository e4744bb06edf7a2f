// The one kroner parser: what a person may type into an amount field, and what it becomes in øre.
import { describe, expect, it } from "vitest";
import { formatOre, kronerFieldText, MAX_AMOUNT_ORE, parseKroner } from "./money.ts";

describe("parseKroner", () => {
  it.each([
    ["35", 3500],
    ["0", 0],
    ["007", 700],
    ["35,50", 3550],
    ["35.50", 3550],
    ["35,5", 3550],
    ["35.5", 3550],
    ["0,29", 29], // 0.29 * 100 is 28.999… as a float: the parser counts digits instead
    ["1,15", 115],
    ["1.234,50", 123_450],
    ["12.345,00", 1_234_500],
    ["99.999,99", 9_999_999],
    [" 35 kr", 3500],
    ["35 kr.", 3500],
    ["35,50 KR", 3550],
    ["35kr", 3500],
    ["35 DKK", 3500],
    ["\t35\n", 3500],
    ["100000", MAX_AMOUNT_ORE],
    ["100.000,00", MAX_AMOUNT_ORE],
  ])("reads %j as %d øre", (text, ore) => {
    expect(parseKroner(text)).toBe(ore);
  });

  it.each([
    "",
    "   ",
    "kr",
    "-5",
    "-0",
    "+5",
    "5,123", // more than two decimals
    "5.123",
    "1.234", // Danish thousands or three decimals: ambiguous, refused
    "1,234,50",
    "1.23.4,50",
    "1234.567,00",
    "1.234.50",
    "1e3",
    "0x10",
    "Infinity",
    "NaN",
    "35,",
    ",50",
    ".5",
    "3 5",
    "35 øre",
    "fem",
    "100000,01", // over MAX_AMOUNT_ORE
    "100.000,01",
    "9999999999999",
  ])("refuses %j", (text) => {
    expect(parseKroner(text)).toBeNull();
  });

  it("takes a smaller maximum from its caller", () => {
    expect(parseKroner("50", 5_000)).toBe(5_000);
    expect(parseKroner("50,01", 5_000)).toBeNull();
  });

  it("always answers an integer number of øre", () => {
    for (let ore = 0; ore <= 10_000; ore += 1) {
      const text = `${Math.trunc(ore / 100)},${String(ore % 100).padStart(2, "0")}`;
      expect(parseKroner(text)).toBe(ore);
    }
  });
});

describe("kronerFieldText", () => {
  it.each([
    [null, ""],
    [0, "0"],
    [150_000, "1500"],
    [3550, "35,50"],
    [5, "0,05"],
  ])("writes %j as %j", (ore, text) => {
    expect(kronerFieldText(ore)).toBe(text);
  });

  it("reads back through parseKroner to the same øre", () => {
    for (const ore of [0, 1, 99, 100, 101, 3550, 123_456, MAX_AMOUNT_ORE]) expect(parseKroner(kronerFieldText(ore))).toBe(ore);
  });
});

describe("formatOre", () => {
  it("writes Danish kroner", () => {
    expect(formatOre(123_450).replace(/\s/g, " ")).toBe("1.234,50 kr.");
  });
});
