import type { ReactNode } from "react";
import type { Tone } from "../../lib/status";

interface StatCardProps {
  label: string;
  value: ReactNode;
  hint?: ReactNode;
  tone?: Tone;
  testId?: string;
}

/** One headline number with its label, optionally tinted by tone. */
export function StatCard({ label, value, hint, tone, testId }: StatCardProps) {
  return (
    <div className={`stat-card${tone ? ` tone-border-${tone}` : ""}`} data-testid={testId}>
      <div className="stat-label">{label}</div>
      <div className="stat-value">{value}</div>
      {hint !== undefined && <div className="stat-hint">{hint}</div>}
    </div>
  );
}
