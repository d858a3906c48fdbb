import { vi } from "vitest";

type Handler = (request: { url: URL; method: string; body: unknown; headers: Record<string, string> }) => unknown;

/** Stub fetch with "METHOD /path" handlers; a handler may return a Response or a JSON body. */
export function mockApi(routes: Record<string, Handler | unknown>) {
  const calls: { method: string; path: string; body: unknown; headers: Record<string, string> }[] = [];
  const fetchMock = vi.fn(async (input: string, init: RequestInit = {}) => {
    const url = new URL(input, "http://dtq.test");
    const method = init.method ?? "GET";
    const body = typeof init.body === "string" ? JSON.parse(init.body) : undefined;
    const headers = (init.headers ?? {}) as Record<string, string>;
    calls.push({ method, path: url.pathname, body, headers });
    const route = routes[`${method} ${url.pathname}`];
    if (route === undefined) return json({ error: { code: "NotFound", message: `no mock for ${method} ${url.pathname}` } }, 404);
    const answer = typeof route === "function" ? (route as Handler)({ url, method, body, headers }) : route;
    return answer instanceof Response ? answer : json(answer, method === "POST" && url.pathname === "/jobs" ? 201 : 200);
  });
  vi.stubGlobal("fetch", fetchMock);
  return { calls, fetchMock };
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}
