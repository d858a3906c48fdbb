import { cloneElement, type ReactElement } from "react";

interface FieldProps {
  label: string;
  hint?: string;
  error?: string | null;
  children: ReactElement<{ id: string; "aria-invalid"?: boolean; "aria-describedby"?: string }>;
}

/** A labelled form control with its hint or validation message wired up for screen readers. */
export function Field({ label, hint, error, children }: FieldProps) {
  const id = children.props.id;
  const noteId = `${id}-note`;
  const note = error ?? hint;
  return (
    <div className={`field${error ? " invalid" : ""}`}>
      <label htmlFor={id}>{label}</label>
      {cloneElement(children, { "aria-invalid": Boolean(error), "aria-describedby": note ? noteId : undefined })}
      {note && (
        <span id={noteId} className={error ? "field-error" : "field-hint"}>
          {note}
        </span>
      )}
    </div>
  );
}
