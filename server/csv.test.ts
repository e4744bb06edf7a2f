// The CSV writer: every text cell quoted and formula-free under any separator a spreadsheet may split on; figures plain.
import { describe, expect, test } from "vitest";
import { kroner, plainFigure, spreadsheetSafe, toCsv } from "./csv.ts";
import { cellsAsReadWith, isFormula, SEPARATORS } from "./testing/spreadsheet.ts";

/** The attack strings of issue 29 (finding 9) and relatives: formulas hidden behind each separator, quotes and spaces. */
const ATTACKS = [
  "Hansen,=2*3+cmd|' /C calc'!A0,x",
  'tak,=HYPERLINK("http://evil.example","Klik"),x',
  "=1+1",
  "+1+1",
  "-1+1",
  "@SUM(A1)",
  "\t=1+1",
  "\r=1+1",
  "a;=1+1",
  "a\t=1+1",
  "a\n=1+1",
  "a\r\n@SUM(A1)",
  "a, =1+1",
  'a,"=1+1"',
  'a;""=1+1',
  '"=1+1"',
  "  =1+1",
  "a,,=1,-2",
];

describe("toCsv", () => {
  test("the issue's strings, read with comma, semicolon or TAB splitting, naive or quote-aware, leave no cell that is a formula", () => {
    const csv = toCsv(["Id", "Navn", "Beløb", "Besked"], ATTACKS.map((text, index) => [index + 1, text, kroner(-(index + 1) * 1_250), text]));
    for (const separator of SEPARATORS) {
      const formulas = cellsAsReadWith(csv, separator).filter(isFormula);
      expect({ separator, formulas }).toEqual({ separator, formulas: [] });
    }
  });

  test("the old writer's output fails the same check (the test can fail)", () => {
    // What payoutsCsv wrote before: quoted only for ; " and line breaks, guarded only at the first character.
    const old = `4;Hansen,=2*3+cmd|' /C calc'!A0,x;1234;1;12,50;tak,=HYPERLINK("http://x"),x\r\n`;
    expect(cellsAsReadWith(old, ",").filter(isFormula)).toContain("=2*3+cmd|' /C calc'!A0");
  });

  test("read with ';' (as a Danish spreadsheet does), the text comes back whole with its apostrophes, and figures stay numbers", () => {
    const csv = toCsv(["Navn", "Antal", "Beløb"], [["Hansen,=2*3+cmd|' /C calc'!A0,x", 3, kroner(-3_550)], ["Anne Hansen", 0, kroner(12_000)], [null, 7, kroner(5)]]);
    expect(csv).toBe(`"Navn";"Antal";"Beløb"\r\n"Hansen,'=2*3+cmd|' /C calc'!A0,x";3;-35,50\r\n"Anne Hansen";0;120,00\r\n;7;0,05\r\n`);
  });

  test("honest texts are unchanged apart from their quotes", () => {
    for (const text of ["Anne Hansen", "Kantinen: Dagens ret", "Æble & pære (2 stk.)", "Mor, far og 2 børn", "tak - fra mor", "mail@example.dk", 'Bog "Alfa"']) {
      expect(spreadsheetSafe(text)).toBe(text);
    }
    expect(spreadsheetSafe("-5")).toBe("'-5");
    expect(spreadsheetSafe("tak, -mor")).toBe("tak, '-mor");
  });

  test("a figure can hold no text: kroner takes whole øre, plainFigure digits and punctuation, numbers must be finite", () => {
    expect(kroner(-35).csvFigure).toBe("-0,35");
    expect(() => kroner(1.5)).toThrow();
    expect(plainFigure("07.12.2026, 16.58").csvFigure).toBe("07.12.2026, 16.58");
    expect(() => plainFigure("=1+1")).toThrow();
    expect(() => plainFigure("1;=2")).toThrow();
    expect(() => plainFigure("1\r\n=2")).toThrow();
    expect(() => toCsv(["a"], [[Number.NaN]])).toThrow();
  });
});
