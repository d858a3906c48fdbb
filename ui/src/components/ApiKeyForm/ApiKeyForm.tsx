import { useState, type FormEvent } from "react";
import { getApiKey, setApiKey } from "../../api/client";

interface ApiKeyFormProps {
  onSaved: () => void;
  compact?: boolean;
}

/** Paste (or clear) the API key the dashboard sends as X-API-Key; kept in localStorage. */
export function ApiKeyForm({ onSaved, compact = false }: ApiKeyFormProps) {
  const [value, setValue] = useState(() => getApiKey() ?? "");
  const hasKey = getApiKey() !== null;

  function submit(event: FormEvent) {
    event.preventDefault();
    setApiKey(value);
    onSaved();
  }

  function clear() {
    setApiKey(null);
    setValue("");
    onSaved();
  }

  return (
    <form className={`api-key-form${compact ? " compact" : ""}`} onSubmit={submit}>
      <label htmlFor="api-key-input">API key</label>
      <div className="row">
        <input
          id="api-key-input"
          type="password"
          autoComplete="off"
          spellCheck={false}
          placeholder="paste the key sent as X-API-Key"
          value={value}
          onChange={(e) => setValue(e.target.value)}
        />
        <button type="submit" className="btn primary" disabled={value.trim() === ""}>
          Save key
        </button>
        {hasKey && (
          <button type="button" className="btn" onClick={clear}>
            Forget
          </button>
        )}
      </div>
      <p className="muted small">Stored only in this browser (localStorage).</p>
    </form>
  );
}
