/** The create-job form's draft and its validation into a POST /jobs body; pure. */
import { parseJsonObject } from "./json";

export interface JobDraft {
  taskType: string;
  payload: string;
  partitionKey: string;
  maxRetries: string;
  timeoutS: string;
  delayMs: string;
}

export interface JobBody {
  task_type: string;
  payload: Record<string, unknown>;
  partition_key?: string;
  max_retries?: number;
  timeout_s?: number;
  delay_ms?: number;
}

export type DraftErrors = Partial<Record<keyof JobDraft, string>>;
export type DraftResult = { ok: true; body: JobBody } | { ok: false; errors: DraftErrors };

/** Validate a draft; blank optional fields are left out so the task's defaults apply. */
export function draftToBody(draft: JobDraft): DraftResult {
  const errors: DraftErrors = {};
  if (draft.taskType.trim() === "") errors.taskType = "Pick a task type.";
  const payload = parseJsonObject(draft.payload);
  if (!payload.ok) errors.payload = payload.error;
  const maxRetries = parseOptionalNumber(draft.maxRetries, { integer: true, min: 0, max: 100 });
  if (typeof maxRetries === "string") errors.maxRetries = maxRetries;
  const timeoutS = parseOptionalNumber(draft.timeoutS, { integer: false, min: 0.001, max: 86_400 });
  if (typeof timeoutS === "string") errors.timeoutS = timeoutS;
  const delayMs = parseOptionalNumber(draft.delayMs, { integer: true, min: 0, max: 7 * 86_400_000 });
  if (typeof delayMs === "string") errors.delayMs = delayMs;
  if (Object.keys(errors).length > 0 || !payload.ok) return { ok: false, errors };

  const body: JobBody = { task_type: draft.taskType.trim(), payload: payload.value };
  if (draft.partitionKey.trim() !== "") body.partition_key = draft.partitionKey.trim();
  if (typeof maxRetries === "number") body.max_retries = maxRetries;
  if (typeof timeoutS === "number") body.timeout_s = timeoutS;
  if (typeof delayMs === "number") body.delay_ms = delayMs;
  return { ok: true, body };
}

interface NumberRule {
  integer: boolean;
  min: number;
  max: number;
}

/** undefined when blank, the number when valid, else the message to show. */
export function parseOptionalNumber(text: string, rule: NumberRule): number | undefined | string {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  const n = Number(trimmed);
  if (!Number.isFinite(n)) return "Must be a number.";
  if (rule.integer && !Number.isInteger(n)) return "Must be a whole number.";
  if (n < rule.min || n > rule.max) return `Must be between ${rule.min} and ${rule.max}.`;
  return n;
}
