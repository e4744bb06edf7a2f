// QuickPay adapter details: configuration (dev as prod with three settings), the callback checksum, test-mode money, order ids.
import { describe, expect, test } from "vitest";
import { loadConfig } from "../config.ts";
import { acquirerFor } from "../app.ts";
import { QuickPayAcquirer, quickPayChecksum, subscriptionOrderId } from "./quickpay.ts";
import { AcquirerSimulator } from "./simulator.ts";
import { newOrderId } from "../services/payments/records.ts";

const settings = { ACQUIRER: "quickpay", QUICKPAY_API_KEY: "api-key-1", QUICKPAY_PRIVATE_KEY: "private-key-1", QUICKPAY_API_URL: "http://127.0.0.1:9" };

describe("configuration", () => {
  test("ACQUIRER=quickpay with its three settings starts in development as in production, with no other gateway secret", () => {
    for (const NODE_ENV of ["development", "production"]) {
      const config = loadConfig({ NODE_ENV, ...settings, CPR_ENCRYPTION_KEY: "00".repeat(32), PUBLIC_URL: "https://kantine.example.dk" });
      expect(config.quickpay).toMatchObject({ apiKey: "api-key-1", privateKey: "private-key-1", apiUrl: "http://127.0.0.1:9" });
      expect(acquirerFor(config)).toBeInstanceOf(QuickPayAcquirer);
    }
    expect(loadConfig({ NODE_ENV: "development" }).acquirer).toBe("simulator");
    expect(acquirerFor(loadConfig({ NODE_ENV: "development" }))).toBeInstanceOf(AcquirerSimulator);
    expect(loadConfig({ ACQUIRER: "quickpay", QUICKPAY_API_KEY: "k", QUICKPAY_PRIVATE_KEY: "p" }).quickpay?.apiUrl).toBe("https://api.quickpay.net");
  });

  test("without either key the server refuses to start, naming what is missing", () => {
    expect(() => loadConfig({ ACQUIRER: "quickpay", QUICKPAY_API_KEY: "k" })).toThrow(/QUICKPAY_PRIVATE_KEY/);
    expect(() => loadConfig({ ACQUIRER: "quickpay", QUICKPAY_PRIVATE_KEY: "p" })).toThrow(/QUICKPAY_API_KEY/);
  });

  test("test-mode money is credited outside production only, unless QUICKPAY_TEST_MODE says otherwise", () => {
    const production = { ...settings, NODE_ENV: "production", CPR_ENCRYPTION_KEY: "00".repeat(32), PUBLIC_URL: "https://kantine.example.dk" };
    expect(loadConfig({ ...settings, NODE_ENV: "development" }).quickpay?.acceptTestMode).toBe(true);
    expect(loadConfig(production).quickpay?.acceptTestMode).toBe(false);
    expect(loadConfig({ ...production, QUICKPAY_TEST_MODE: "true" }).quickpay?.acceptTestMode).toBe(true);
    expect(loadConfig({ ...settings, NODE_ENV: "development", QUICKPAY_TEST_MODE: "false" }).quickpay?.acceptTestMode).toBe(false);
  });
});

describe("callbacks", () => {
  const resource = (testMode: boolean) =>
    JSON.stringify({
      id: 42,
      order_id: "kpabc123",
      accepted: true,
      type: "Payment",
      state: "processed",
      test_mode: testMode,
      metadata: { brand: "dankort", last4: "0008" },
      operations: [
        { type: "authorize", amount: 5_000, pending: false, qp_status_code: "20000" },
        { type: "capture", amount: 5_000, pending: false, qp_status_code: "20000" },
      ],
    });
  const headers = (body: string, key = "private-key-1") => new Headers({ "QuickPay-Resource-Type": "Payment", "QuickPay-Checksum-Sha256": quickPayChecksum(key, body) });

  test("the checksum is the hex HMAC-SHA256 of the raw body with the private key; anything else is refused", () => {
    const acquirer = new QuickPayAcquirer({ apiKey: "api-key-1", privateKey: "private-key-1", acceptTestMode: true });
    const body = resource(false);
    expect(acquirer.verifyCallback(headers(body), body)).toEqual({
      ok: true,
      event: { kind: "payment", ref: { orderId: "kpabc123" }, amountOre: 5_000, acquirerRef: "42", testMode: false, status: "captured", cardBrand: "dankort", cardLast4: "0008" },
    });
    expect(quickPayChecksum("private-key-1", body)).toMatch(/^[0-9a-f]{64}$/);
    expect(acquirer.verifyCallback(headers(body, "api-key-1"), body)).toEqual({ ok: false, problem: "checksum mismatch" });
    expect(acquirer.verifyCallback(headers(body), body.replace("5000", "5001"))).toEqual({ ok: false, problem: "checksum mismatch" });
    expect(acquirer.verifyCallback(new Headers({ "QuickPay-Checksum-Sha256": "xyz" }), body)).toEqual({ ok: false, problem: "checksum malformed" });
    expect(acquirer.verifyCallback(new Headers(), body)).toEqual({ ok: false, problem: "checksum missing" });
  });

  test("test-mode money is a genuine callback that credits nothing when test mode is not accepted", () => {
    const strict = new QuickPayAcquirer({ apiKey: "a", privateKey: "private-key-1", acceptTestMode: false });
    const body = resource(true);
    expect(strict.verifyCallback(headers(body), body)).toMatchObject({ ok: true, event: { kind: "payment", status: "failed", reason: "test_mode_refused" } });
    expect(strict.verifyCallback(headers(resource(false)), resource(false))).toMatchObject({ ok: true, event: { status: "captured" } });
  });
});

test("order ids: 18 characters of [a-z0-9] with a purpose prefix, the subscription's one more, all within QuickPay's 4–20", () => {
  const ids = new Set(Array.from({ length: 2_000 }, () => newOrderId("deposit")));
  expect(ids.size).toBe(2_000);
  for (const id of ids) expect(id).toMatch(/^kp[a-z0-9]{16}$/);
  expect(newOrderId("auto_top_up")).toMatch(/^kt/);
  expect(subscriptionOrderId(newOrderId("auto_top_up_setup"))).toMatch(/^ka[a-z0-9]{16}S$/);
});
