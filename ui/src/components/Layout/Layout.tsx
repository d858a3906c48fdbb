import { useState, type ReactNode } from "react";
import { NavLink } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { getApiKey } from "../../api/client";
import type { Info } from "../../api/types";
import { describeError } from "../../lib/errors";
import { ApiKeyForm } from "../ApiKeyForm/ApiKeyForm";

const NAV = [
  { to: "/", label: "Overview", end: true },
  { to: "/jobs", label: "Jobs", end: false },
  { to: "/dead-letters", label: "Dead letters", end: false },
  { to: "/new", label: "New job", end: false },
];

interface LayoutProps {
  /** The latest /info answer, if any. */
  info: Info | undefined;
  /** Why the last /info poll failed; null while the API answers. */
  infoError: unknown;
  children: ReactNode;
}

/** App chrome: brand, navigation, connection status, environment and the API key control. */
export function Layout({ info, infoError, children }: LayoutProps) {
  const queryClient = useQueryClient();
  const [showKey, setShowKey] = useState(false);
  const connection = infoError ? describeError(infoError) : null;
  const connectionLabel = connection ? connection.title : info ? "Connected" : "Connecting…";
  const connectionClass = connection ? (connection.kind === "auth" ? "warn" : "down") : info ? "up" : "pending";

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="brand">
          <span className="logo" aria-hidden="true">
            ◧
          </span>
          DTQ
        </div>
        <nav className="nav" aria-label="Main">
          {NAV.map((item) => (
            <NavLink key={item.to} to={item.to} end={item.end} className={({ isActive }) => (isActive ? "active" : undefined)}>
              {item.label}
            </NavLink>
          ))}
        </nav>
        <div className="topbar-right">
          {info && (
            <span className={`env env-${info.environment}`} title={`DTQ ${info.version}`}>
              {info.environment}
            </span>
          )}
          <span className={`connection ${connectionClass}`} data-testid="connection" role="status">
            <span className="dot" aria-hidden="true" />
            {connectionLabel}
          </span>
          <button type="button" className="btn small" aria-expanded={showKey} onClick={() => setShowKey((v) => !v)}>
            {getApiKey() ? "API key ✓" : "API key"}
          </button>
        </div>
      </header>
      {showKey && (
        <div className="key-drawer">
          <ApiKeyForm
            compact
            onSaved={() => {
              setShowKey(false);
              void queryClient.invalidateQueries();
            }}
          />
        </div>
      )}
      <main id="main" className="content" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
