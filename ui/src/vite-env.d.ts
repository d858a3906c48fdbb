/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Absolute API origin for a UI served elsewhere; unset means the page's own origin. */
  readonly VITE_API_BASE_URL?: string;
}
