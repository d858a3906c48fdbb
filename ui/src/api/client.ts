/** The only fetch wrapper: base URL, API key header, JSON in and out, and typed errors. */

const API_KEY_STORAGE = "dtq.apiKey";

/** A failed API call. status 0 means the API could not be reached at all. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  /** Seconds the server asked us to wait (429/503 Retry-After), when it said. */
  readonly retryAfterS: number | null;

  constructor(status: number, code: string, message: string, details: unknown = null, retryAfterS: number | null = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfterS = retryAfterS;
  }

  /** True when the request never got an HTTP answer (API down, network, CORS). */
  get isUnreachable(): boolean {
    return this.status === 0;
  }
}

/** The base URL every path is joined to: VITE_API_BASE_URL, or the page's own origin. */
export function apiBaseUrl(): string {
  const configured = import.meta.env.VITE_API_BASE_URL as string | undefined;
  return (configured ?? "").replace(/\/+$/, "");
}

/** The API key pasted by the operator, if any. */
export function getApiKey(): string | null {
  try {
    return window.localStorage.getItem(API_KEY_STORAGE);
  } catch {
    return null;
  }
}

/** Store (or, with an empty string/null, forget) the API key sent as X-API-Key. */
export function setApiKey(key: string | null): void {
  const trimmed = key?.trim() ?? "";
  if (trimmed === "") window.localStorage.removeItem(API_KEY_STORAGE);
  else window.localStorage.setItem(API_KEY_STORAGE, trimmed);
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  method?: "GET" | "POST" | "DELETE";
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** Build a URL from a path and query, dropping empty values. */
export function buildUrl(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== null && value !== undefined && value !== "") params.set(name, String(value));
  }
  const search = params.toString();
  return `${apiBaseUrl()}${path}${search ? `?${search}` : ""}`;
}

/** Call the API and return its JSON body, or throw ApiError. */
export async function apiFetch<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
  const key = getApiKey();
  if (key) headers["X-API-Key"] = key;
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(buildUrl(path, options.query), {
      method: options.method ?? "GET",
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (error) {
    if ((error as Error).name === "AbortError") throw error;
    throw new ApiError(0, "unreachable", "The API could not be reached.");
  }
  if (!response.ok) throw await toApiError(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

async function toApiError(response: Response): Promise<ApiError> {
  const retryAfter = parseRetryAfter(response.headers.get("Retry-After"));
  let code = `http_${response.status}`;
  let message = response.statusText || `HTTP ${response.status}`;
  let details: unknown = null;
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string; details?: unknown }; detail?: unknown };
    if (body.error) {
      code = body.error.code ?? code;
      message = body.error.message ?? message;
      details = body.error.details ?? null;
    } else if (body.detail !== undefined) {
      message = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
      details = body.detail;
    }
  } catch {
    // not JSON (a proxy's HTML page, say): keep the status text
  }
  return new ApiError(response.status, code, message, details, retryAfter);
}

/** Retry-After as seconds: either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, nowMs: number = Date.now()): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - nowMs) / 1000));
}
