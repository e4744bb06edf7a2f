// Test-only fake of QuickPay's API v10 on a loopback port: payments, subscriptions, links, a payment window, recurring, checksummed callbacks, faults.
import type { Server } from "bun";
import { quickPayChecksum } from "../acquirer/quickpay.ts";
import { fakeCards, finishOperation, json, newOperation, newResource, type FakeResource } from "./quickpay-fake-resources.ts";

export { fakeCards };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

export interface FakeOptions {
  apiKey: string;
  privateKey: string;
  /** Delays before each callback delivery attempt; a non-2xx answer moves on to the next. */
  callbackRetryDelaysMs?: number[];
  testMode?: boolean;
}

type Fault = { kind: "status"; status: number } | { kind: "hang"; ms: number };

export class FakeQuickPay {
  private server: Server<undefined> | null = null;
  private nextId = 1000;
  private nextOperationId = 1;
  readonly payments = new Map<number, FakeResource>();
  readonly subscriptions = new Map<number, FakeResource>();
  /** The card used on each subscription's window, which decides its later recurring charges. */
  private readonly subscriptionCards = new Map<number, string>();
  private readonly windows = new Map<string, { collection: "payments" | "subscriptions"; id: number }>();
  readonly requests: RecordedRequest[] = [];
  /** Every callback the fake sent (also the dropped ones), in order. */
  readonly callbacks: Array<{ url: string; headers: Record<string, string>; body: string; status: number | null; dropped: boolean }> = [];
  private readonly faults: Array<Fault | null> = [];
  private readonly deliveries = new Set<Promise<void>>();
  /** "drop": callbacks are lost (never sent); "duplicate": each is sent twice. */
  callbackMode: "deliver" | "drop" | "duplicate" = "deliver";
  /** Callbacks wait this long before their first attempt (a late callback). */
  callbackDelayMs = 0;

  constructor(private readonly options: FakeOptions) {}

  async start(): Promise<string> {
    this.server = Bun.serve({ hostname: "127.0.0.1", port: 0, idleTimeout: 30, fetch: (request) => this.handle(request) });
    return this.url;
  }

  get url(): string {
    if (!this.server) throw new Error("fake QuickPay not started");
    return `http://127.0.0.1:${this.server.port}`;
  }

  async stop(): Promise<void> {
    await this.settle();
    await this.server?.stop(true);
    this.server = null;
  }

  /**
   * After `skip` more API requests, the next `count` answer with this status (e.g. 500), or hang for `ms` (longer than
   * the client waits).
   */
  failNext(count: number, fault: Fault, skip = 0): void {
    this.faults.length = 0;
    for (let index = 0; index < skip; index += 1) this.faults.push(null);
    for (let index = 0; index < count; index += 1) this.faults.push(fault);
  }

  /** The card behind a subscription changes (e.g. it now needs 3-D Secure for every charge). */
  setSubscriptionCard(subscriptionId: number, card: string): void {
    this.subscriptionCards.set(subscriptionId, card);
  }

  /** Waits until every callback delivery so far has finished. */
  async settle(): Promise<void> {
    while (this.deliveries.size > 0) await Promise.allSettled([...this.deliveries]);
  }

  /** Pays (or cancels) on the payment window behind a link, as the browser would; returns where the window sends it. */
  async pay(linkUrl: string, card: string | "cancel"): Promise<string> {
    const response = await fetch(linkUrl, {
      method: "POST",
      body: new URLSearchParams(card === "cancel" ? { action: "cancel" } : { action: "pay", card }),
      redirect: "manual",
    });
    if (response.status !== 303) throw new Error(`fake window answered ${response.status}: ${await response.text()}`);
    return response.headers.get("location")!;
  }

  /** Sends a callback for a resource now, as QuickPay's callback service would (tests of late and repeated callbacks). */
  resend(resource: FakeResource, url: string): void {
    this.deliver(url, resource);
  }

  findByOrderId(orderId: string): FakeResource | undefined {
    return [...this.payments.values(), ...this.subscriptions.values()].find((resource) => resource.order_id === orderId);
  }

  private async handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/window/")) return this.window(request, url);
    const text = request.method === "GET" ? "" : await request.text();
    let body: any = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      return json(400, { message: "Invalid JSON" });
    }
    this.requests.push({ method: request.method, path: url.pathname + url.search, headers: Object.fromEntries(request.headers), body });
    const fault = this.faults.shift();
    if (fault?.kind === "status") return json(fault.status, { message: "Fake gateway fault" });
    if (fault?.kind === "hang") {
      await Bun.sleep(fault.ms);
      return json(503, { message: "Too late" });
    }
    // Authentication as documented: HTTP Basic, empty user name, the API key as password; and the API version header.
    const expected = `Basic ${Buffer.from(`:${this.options.apiKey}`).toString("base64")}`;
    if (request.headers.get("authorization") !== expected) return json(401, { message: "Invalid API key" });
    if (request.headers.get("accept-version") !== "v10") return json(400, { message: "Accept-Version must be v10" });
    const route = `${request.method} ${url.pathname}`;
    let match: RegExpExecArray | null;
    if (route === "POST /payments" || route === "POST /subscriptions") {
      const collection = url.pathname === "/payments" ? "payments" : "subscriptions";
      const errors = this.validateOrder(body, collection === "subscriptions");
      if (errors) return json(400, { message: "Validation error", errors, error_code: null });
      const resource = newResource((this.nextId += 1), this.options.testMode ?? false, collection === "payments" ? "Payment" : "Subscription", body.order_id, String(body.currency).toUpperCase(), body.description);
      this.map(collection).set(resource.id, resource);
      return json(201, resource);
    }
    if (request.method === "GET" && (url.pathname === "/payments" || url.pathname === "/subscriptions")) {
      const orderId = url.searchParams.get("order_id");
      return json(200, [...this.map(url.pathname.slice(1) as "payments" | "subscriptions").values()].filter((resource) => orderId === null || resource.order_id === orderId));
    }
    if ((match = /^GET \/(payments|subscriptions)\/(\d+)$/.exec(route))) {
      const resource = this.map(match[1] as "payments" | "subscriptions").get(Number(match[2]));
      return resource ? json(200, resource) : json(404, { message: "Not found" });
    }
    if ((match = /^PUT \/(payments|subscriptions)\/(\d+)\/link$/.exec(route))) {
      const collection = match[1] as "payments" | "subscriptions";
      const resource = this.map(collection).get(Number(match[2]));
      if (!resource) return json(404, { message: "Not found" });
      if (!Number.isInteger(body?.amount) || body.amount <= 0) return json(400, { message: "Validation error", errors: { amount: ["must be a positive integer"] } });
      for (const field of ["continue_url", "cancel_url", "callback_url"]) {
        if (body[field] !== undefined && !/^https?:\/\//.test(String(body[field]))) return json(400, { message: "Validation error", errors: { [field]: ["is not a URL"] } });
      }
      // Updating a link keeps its address (one payment, one window), as QuickPay's link for a payment does.
      const token = resource.link?.url.split("/window/")[1] ?? crypto.randomUUID().replaceAll("-", "");
      this.windows.set(token, { collection, id: resource.id });
      resource.link = {
        url: `${this.url}/window/${token}`,
        amount: body.amount,
        continue_url: body.continue_url ?? null,
        cancel_url: body.cancel_url ?? null,
        callback_url: body.callback_url ?? null,
        auto_capture: body.auto_capture === true,
        payment_methods: body.payment_methods ?? null,
      };
      return json(200, { url: resource.link.url });
    }
    if ((match = /^POST \/subscriptions\/(\d+)\/cancel$/.exec(route))) {
      // QuickPay's cancel of a subscription: 202 with the subscription; a subscription no longer active cannot be cancelled.
      const subscription = this.subscriptions.get(Number(match[1]));
      if (!subscription) return json(404, { message: "Not found" });
      if (subscription.state !== "active") return json(400, { message: "Subscription is not active" });
      subscription.state = "cancelled";
      return json(202, subscription);
    }
    if ((match = /^POST \/subscriptions\/(\d+)\/recurring$/.exec(route))) {
      const subscription = this.subscriptions.get(Number(match[1]));
      if (!subscription) return json(404, { message: "Not found" });
      if (subscription.state !== "active") return json(400, { message: "Subscription is not active" });
      const errors = this.validateOrder({ ...body, currency: subscription.currency }, false);
      if (errors) return json(400, { message: "Validation error", errors, error_code: null });
      if (!Number.isInteger(body.amount) || body.amount <= 0) return json(400, { message: "Validation error", errors: { amount: ["must be a positive integer"] } });
      const payment = newResource((this.nextId += 1), this.options.testMode ?? false, "Payment", body.order_id, subscription.currency);
      payment.subscriptionId = subscription.id;
      payment.metadata = { ...subscription.metadata };
      const callbackUrl = request.headers.get("quickpay-callback-url");
      const operation = newOperation(this.nextOperationId++, "recurring", body.amount, callbackUrl);
      payment.operations.push(operation);
      payment.state = "pending";
      this.payments.set(payment.id, payment);
      const answer = structuredClone(payment);
      // The acquirer answers after the 202, as QuickPay's asynchronous recurring does.
      const card = this.subscriptionCards.get(subscription.id) ?? fakeCards.approved;
      this.track(
        (async () => {
          await Bun.sleep(5);
          const code = card === fakeCards.recurringDeclined ? "40000" : card === fakeCards.authenticationRequired ? "30100" : "20000";
          finishOperation(operation, code);
          if (code !== "20000") {
            payment.state = "rejected";
            if (callbackUrl) this.deliver(callbackUrl, payment);
            return;
          }
          payment.accepted = true;
          payment.state = "new";
          if (callbackUrl) this.deliver(callbackUrl, payment);
          if (body.auto_capture === true) this.capture(payment, body.amount, callbackUrl, card);
        })(),
      );
      return json(202, answer);
    }
    return json(404, { message: "Not found" });
  }

  private validateOrder(body: any, subscription: boolean): Record<string, string[]> | null {
    const errors: Record<string, string[]> = {};
    const orderId = body?.order_id;
    if (typeof orderId !== "string" || orderId.length < 4 || orderId.length > 20 || !/^[A-Za-z0-9\-._]+$/.test(orderId)) errors.order_id = ["must be 4 to 20 characters"];
    else if (this.findByOrderId(orderId)) errors.order_id = ["is not unique"];
    if (typeof body?.currency !== "string" || body.currency.length !== 3) errors.currency = ["is invalid"];
    if (subscription && (typeof body?.description !== "string" || body.description.length === 0)) errors.description = ["is required"];
    return Object.keys(errors).length > 0 ? errors : null;
  }

  private map(collection: "payments" | "subscriptions"): Map<number, FakeResource> {
    return collection === "payments" ? this.payments : this.subscriptions;
  }

  private capture(payment: FakeResource, amount: number, callbackUrl: string | null, card: string): void {
    const capture = newOperation(this.nextOperationId++, "capture", amount, callbackUrl);
    payment.operations.push(capture);
    finishOperation(capture, card === fakeCards.captureRejected ? "40000" : "20000");
    if (capture.qp_status_code === "20000") {
      payment.balance += amount;
      payment.state = "processed";
    }
    payment.updated_at = new Date().toISOString();
    if (callbackUrl) this.deliver(callbackUrl, payment);
  }

  /** The payment window: a form with the card number; paying runs authorize (and capture, with auto_capture) and calls back. */
  private async window(request: Request, url: URL): Promise<Response> {
    const token = url.pathname.slice("/window/".length);
    const target = this.windows.get(token);
    const resource = target ? this.map(target.collection).get(target.id) : undefined;
    if (!target || !resource || !resource.link) return new Response("Unknown payment link", { status: 404 });
    if (request.method === "GET") {
      return new Response(
        `<!doctype html><html lang="da"><meta charset="utf-8"><title>QuickPay (fake)</title><h1>Betaling ${resource.link.amount / 100} ${resource.currency}</h1>` +
          `<p>Betalingsmetoder: ${resource.link.payment_methods ?? ""}</p><form method="post"><label>Kortnummer <input name="card"></label><button name="action" value="pay">Betal</button>` +
          `<button name="action" value="cancel">Annuller</button></form></html>`,
        { headers: { "content-type": "text/html; charset=utf-8" } },
      );
    }
    if (request.method !== "POST") return new Response("Method not allowed", { status: 405 });
    const form = await request.formData();
    const link = resource.link;
    if (form.get("action") === "cancel") return Response.redirect(link.cancel_url ?? link.continue_url ?? this.url, 303);
    if (resource.state !== "initial") return new Response("Already paid", { status: 409 });
    const card = String(form.get("card") ?? "").replace(/\s/g, "");
    const authorize = newOperation(this.nextOperationId++, "authorize", link.amount, link.callback_url);
    resource.operations.push(authorize);
    const approved = card !== fakeCards.rejected && /^\d{12,19}$/.test(card);
    finishOperation(authorize, approved ? "20000" : "40000");
    resource.metadata = { type: "card", brand: card.startsWith("5") ? "mastercard" : card.startsWith("4571") ? "dankort" : "visa", last4: card.slice(-4), exp_month: 12, exp_year: 2030 };
    if (!approved) {
      resource.state = "rejected";
      if (link.callback_url) this.deliver(link.callback_url, resource);
      return Response.redirect(link.continue_url ?? this.url, 303);
    }
    resource.accepted = true;
    if (resource.type === "Subscription") {
      resource.state = "active";
      this.subscriptionCards.set(resource.id, card);
      if (link.callback_url) this.deliver(link.callback_url, resource);
    } else {
      resource.state = "new";
      if (link.callback_url) this.deliver(link.callback_url, resource);
      if (link.auto_capture) this.capture(resource, link.amount, link.callback_url, card);
    }
    return Response.redirect(link.continue_url ?? this.url, 303);
  }

  private track(promise: Promise<unknown>): void {
    const settled = promise.then(
      () => undefined,
      () => undefined,
    );
    this.deliveries.add(settled);
    void settled.then(() => this.deliveries.delete(settled));
  }

  /** Posts the resource as it is now, checksummed with the private key, retrying on non-2xx answers. */
  private deliver(url: string, resource: FakeResource): void {
    // The body is fixed at the moment of the event, as QuickPay sends a snapshot of the resource.
    const raw = JSON.stringify(resource);
    const headers = {
      "content-type": "application/json",
      "QuickPay-Resource-Type": resource.type,
      "QuickPay-Account-ID": "1",
      "QuickPay-API-Version": "v10",
      "QuickPay-Checksum-Sha256": quickPayChecksum(this.options.privateKey, raw),
    };
    if (this.callbackMode === "drop") {
      this.callbacks.push({ url, headers, body: raw, status: null, dropped: true });
      return;
    }
    const send = async () => {
      if (this.callbackDelayMs > 0) await Bun.sleep(this.callbackDelayMs);
      for (const delay of this.options.callbackRetryDelaysMs ?? [0, 20, 100]) {
        if (delay > 0) await Bun.sleep(delay);
        let status: number | null = null;
        try {
          status = (await fetch(url, { method: "POST", headers, body: raw })).status;
        } catch {
          status = null;
        }
        this.callbacks.push({ url, headers, body: raw, status, dropped: false });
        if (status !== null && status >= 200 && status < 300) return;
      }
    };
    this.track(send());
    if (this.callbackMode === "duplicate") this.track(send());
  }
}

