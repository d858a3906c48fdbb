import { prettyJson } from "../../lib/json";

/** A titled, scrollable, pretty-printed JSON value; null shows as an explicit empty note. */
export function JsonView({ title, value, emptyText = "none", testId }: { title: string; value: unknown; emptyText?: string; testId?: string }) {
  const isEmpty = value === null || value === undefined;
  return (
    <section className="panel json-view" aria-label={title}>
      <h3>{title}</h3>
      {isEmpty ? <p className="muted">{emptyText}</p> : <pre data-testid={testId}>{prettyJson(value)}</pre>}
    </section>
  );
}
