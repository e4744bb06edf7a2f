// Runs the crash test (real server process, SIGKILL under till load) for a few rounds and checks its verdict.
import { expect, test } from "vitest";

test("SIGKILL under till load loses, doubles and half-writes no sale", async () => {
  const run = Bun.spawn([process.execPath, "server/reliability/crash.ts", "--rounds", "4"], { stdout: "pipe", stderr: "pipe" });
  const [output, exitCode] = await Promise.all([new Response(run.stdout).text(), run.exited]);
  const total = /Total: sent (\d+), acknowledged (\d+), found (\d+), lost (\d+), duplicated (\d+), half-written (\d+), in-flight retried (\d+) \(mismatches (\d+)\)/.exec(output);
  expect(total, output).not.toBeNull();
  const [sentCount, acknowledged, found, lost, duplicated, halfWritten, retried, mismatches] = total!.slice(1).map(Number) as [number, number, number, number, number, number, number, number];
  expect(acknowledged).toBeGreaterThan(0);
  expect(found).toBe(acknowledged);
  expect({ lost, duplicated, halfWritten, mismatches }).toEqual({ lost: 0, duplicated: 0, halfWritten: 0, mismatches: 0 });
  // The kill lands while tills are waiting, so some sales are in flight and get retried.
  expect(retried).toBeGreaterThan(0);
  expect(sentCount).toBeGreaterThanOrEqual(acknowledged);
  expect(output).toContain("CRASH TEST PASSED");
  expect(exitCode).toBe(0);
}, 120_000);
