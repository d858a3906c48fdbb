/** Pure formatting for the operator views: durations, timestamps, counts and rates. */

const MINUTE_S = 60;
const HOUR_S = 60 * MINUTE_S;
const DAY_S = 24 * HOUR_S;

/** A duration in seconds as a short human string: "350 ms", "4.2 s", "3m 12s", "2h 5m", "3d 4h". */
export function formatDurationS(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  const s = Math.max(0, seconds);
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 10) return `${trimZero(s.toFixed(1))} s`;
  if (s < MINUTE_S) return `${Math.round(s)} s`;
  if (s < HOUR_S) return pair(Math.floor(s / MINUTE_S), "m", Math.floor(s % MINUTE_S), "s");
  if (s < DAY_S) return pair(Math.floor(s / HOUR_S), "h", Math.floor((s % HOUR_S) / MINUTE_S), "m");
  return pair(Math.floor(s / DAY_S), "d", Math.floor((s % DAY_S) / HOUR_S), "h");
}

/** A duration in milliseconds, formatted like formatDurationS. */
export function formatDurationMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  return formatDurationS(ms / 1000);
}

/** Seconds between two ISO timestamps (end defaults to now), or null when start is missing. */
export function secondsBetween(
  startIso: string | null | undefined,
  endIso: string | null | undefined,
  nowMs: number = Date.now(),
): number | null {
  const start = parseIso(startIso);
  if (start === null) return null;
  const end = parseIso(endIso) ?? nowMs;
  return Math.max(0, (end - start) / 1000);
}

/** An ISO-8601 timestamp as local "YYYY-MM-DD HH:MM:SS" (the operator's clock), "—" when absent. */
export function formatTimestamp(iso: string | null | undefined): string {
  const ms = parseIso(iso);
  if (ms === null) return "—";
  const d = new Date(ms);
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  return `${date} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Clock time only ("HH:MM:SS"), for chart axes. */
export function formatClock(iso: string | null | undefined): string {
  const ms = parseIso(iso);
  if (ms === null) return "";
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** How long ago an ISO timestamp was, relative to nowMs: "just now", "12 s ago", "in 5 s". */
export function formatRelative(iso: string | null | undefined, nowMs: number = Date.now()): string {
  const ms = parseIso(iso);
  if (ms === null) return "—";
  const deltaS = (nowMs - ms) / 1000;
  if (Math.abs(deltaS) < 1) return "just now";
  const text = formatDurationS(Math.abs(deltaS) < 10 ? Math.round(Math.abs(deltaS)) : Math.abs(deltaS));
  return deltaS >= 0 ? `${text} ago` : `in ${text}`;
}

/** An integer with thousands separators, compacted above a million: "1,234", "2.5M". */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "—";
  if (Math.abs(n) >= 1_000_000) return `${trimZero((n / 1_000_000).toFixed(1))}M`;
  return Math.round(n).toLocaleString("en-US");
}

/** A per-second rate with sensible precision: "0", "0.3/s", "12/s". */
export function formatRate(perSecond: number | null | undefined): string {
  if (perSecond === null || perSecond === undefined || !Number.isFinite(perSecond)) return "—";
  if (perSecond === 0) return "0/s";
  if (perSecond < 10) return `${trimZero(perSecond.toFixed(1))}/s`;
  return `${formatCount(perSecond)}/s`;
}

/** A UUID's first block, enough to tell rows apart; shorter ids (DTQ's own) are kept whole. */
export function shortId(id: string): string {
  if (id.length <= 24) return id;
  const dash = id.indexOf("-");
  return dash > 0 ? id.slice(0, dash) : id.slice(0, 12);
}

function parseIso(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

function trimZero(text: string): string {
  return text.endsWith(".0") ? text.slice(0, -2) : text;
}

function pair(major: number, majorUnit: string, minor: number, minorUnit: string): string {
  return minor === 0 ? `${major}${majorUnit}` : `${major}${majorUnit} ${minor}${minorUnit}`;
}
