import { statusTone } from "../../lib/status";

/** A job status (or attempt outcome) as a coloured pill. */
export function StatusBadge({ status, tone }: { status: string; tone?: string }) {
  return (
    <span className={`badge tone-${tone ?? statusTone(status)}`} data-status={status}>
      {status}
    </span>
  );
}
