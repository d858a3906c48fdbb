import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, apiFetch, buildUrl, getApiKey, parseRetryAfter, setApiKey } from "./client";

function mockFetch(response: Response | Error) {
  const fn = vi.fn(() => (response instanceof Error ? Promise.reject(response) : Promise.resolve(response)));
  vi.stubGlobal("fetch", fn);
  return fn;
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });

afterEach(() => vi.unstubAllGlobals());

describe("buildUrl", () => {
  it("drops empty query values", () => {
    expect(buildUrl("/jobs", { status: "dead", task_type: "", cursor: null, limit: 50 })).toBe("/jobs?status=dead&limit=50");
    expect(buildUrl("/metrics")).toBe("/metrics");
  });
});

describe("apiFetch", () => {
  it("returns parsed JSON and sends the stored API key", async () => {
    setApiKey("  secret  ");
    const fetchMock = mockFetch(json({ items: [] }));
    await expect(apiFetch("/tasks")).resolves.toEqual({ items: [] });
    const [, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect((init.headers as Record<string, string>)["X-API-Key"]).toBe("secret");
  });

  it("sends JSON bodies with their content type and no key when none is stored", async () => {
    const fetchMock = mockFetch(json({ id: "1" }, 201));
    await apiFetch("/jobs", { method: "POST", body: { task_type: "noop" }, headers: { "Idempotency-Key": "k" } });
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/jobs");
    expect(init.method).toBe("POST");
    expect(init.body).toBe('{"task_type":"noop"}');
    expect(init.headers).toMatchObject({ "Content-Type": "application/json", "Idempotency-Key": "k" });
    expect(init.headers).not.toHaveProperty("X-API-Key");
  });

  it("turns the API's error envelope into ApiError", async () => {
    mockFetch(json({ error: { code: "UnknownTaskType", message: "known: noop, echo", details: { known: ["noop"] } } }, 422));
    const error = (await apiFetch("/jobs").catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 422, code: "UnknownTaskType", message: "known: noop, echo", details: { known: ["noop"] } });
  });

  it("reads Retry-After on 429", async () => {
    mockFetch(json({ error: { code: "rate_limited", message: "slow down" } }, 429, { "Retry-After": "7" }));
    await expect(apiFetch("/jobs")).rejects.toMatchObject({ status: 429, retryAfterS: 7 });
  });

  it("keeps the status text when the body is not JSON", async () => {
    mockFetch(new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway" }));
    await expect(apiFetch("/jobs")).rejects.toMatchObject({ status: 502, code: "http_502", message: "Bad Gateway" });
  });

  it("reports a network failure as unreachable (status 0)", async () => {
    mockFetch(new TypeError("Failed to fetch"));
    const error = (await apiFetch("/metrics").catch((e: unknown) => e)) as ApiError;
    expect(error.status).toBe(0);
    expect(error.isUnreachable).toBe(true);
  });
});

describe("API key storage", () => {
  it("stores, trims and forgets", () => {
    expect(getApiKey()).toBeNull();
    setApiKey(" k1 ");
    expect(getApiKey()).toBe("k1");
    setApiKey("");
    expect(getApiKey()).toBeNull();
  });
});

describe("parseRetryAfter", () => {
  it("reads seconds and HTTP dates", () => {
    expect(parseRetryAfter("5")).toBe(5);
    expect(parseRetryAfter(null)).toBeNull();
    const now = Date.parse("2025-01-02T03:04:00Z");
    expect(parseRetryAfter("Thu, 02 Jan 2025 03:04:10 GMT", now)).toBe(10);
    expect(parseRetryAfter("soon")).toBeNull();
  });
});
