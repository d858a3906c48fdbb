/** Validation of the JSON an operator types into a form, before anything is sent. */

export type JsonObjectResult =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; error: string };

/** Parse text as a JSON object; blank means {}. Arrays and scalars are rejected with a reason. */
export function parseJsonObject(text: string): JsonObjectResult {
  if (text.trim() === "") return { ok: true, value: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `Invalid JSON: ${(error as Error).message}` };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { ok: false, error: "Payload must be a JSON object, e.g. {\"seconds\": 2}" };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

/** Pretty-print any value for display; undefined shows as an empty string. */
export function prettyJson(value: unknown): string {
  if (value === undefined) return "";
  return JSON.stringify(value, null, 2);
}

const EXAMPLE_PAYLOADS: Record<string, Record<string, unknown>> = {
  noop: {},
  echo: { message: "hello" },
  sleep: { seconds: 2 },
  fail: { message: "boom" },
  flaky: { fail_times: 2 },
  synthetic: {},
};

/** A starting payload for a built-in task type, so the form is useful with one click. */
export function examplePayload(taskType: string): string {
  return prettyJson(EXAMPLE_PAYLOADS[taskType] ?? {});
}
