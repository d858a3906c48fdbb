import { useQueryClient } from "@tanstack/react-query";
import { describeError } from "../../lib/errors";
import { ApiKeyForm } from "../ApiKeyForm/ApiKeyForm";

interface ErrorStateProps {
  error: unknown;
  onRetry?: () => void;
  /** Inline: a one-line banner above stale data rather than a full panel. */
  inline?: boolean;
}

/** Explains a failed request: unreachable API, missing key (with a place to paste it), 429, 503… */
export function ErrorState({ error, onRetry, inline = false }: ErrorStateProps) {
  const queryClient = useQueryClient();
  const { kind, title, message } = describeError(error);
  return (
    <div className={`error-state${inline ? " inline" : ""} kind-${kind}`} role="alert" data-error-kind={kind}>
      <div className="error-head">
        <strong>{title}</strong>
        <span className="error-message">{message}</span>
        {onRetry && kind !== "auth" && (
          <button type="button" className="btn small" onClick={onRetry}>
            Retry
          </button>
        )}
      </div>
      {kind === "auth" && <ApiKeyForm onSaved={() => void queryClient.invalidateQueries()} />}
    </div>
  );
}
