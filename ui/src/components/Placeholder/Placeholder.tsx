import type { ReactNode } from "react";

/** A loading line that announces itself to screen readers. */
export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="placeholder" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

/** What an empty list says, with an optional next step. */
export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="placeholder empty">
      <strong>{title}</strong>
      {children && <div className="muted">{children}</div>}
    </div>
  );
}
