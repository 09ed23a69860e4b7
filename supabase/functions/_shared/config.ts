/**
 * The forwarder's settings, from function secrets (`supabase secrets set`, read with
 * `Deno.env`). Read on every request, so a secret set after deploy applies at once, and
 * checked: a bad value names its variable (never its content) instead of failing later.
 */

export interface ForwarderConfig {
  /** The service's base URL, without a trailing slash. */
  serviceUrl: string;
  /** Sent as `x-avito-sync-forwarder-secret` when set. */
  secret: string | null;
  /** Upstream deadline (connect, answer and its body), below the Edge wall-clock limit. */
  timeoutMs: number;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
}

export type ConfigResult =
  | { ok: true; config: ForwarderConfig }
  | { ok: false; variable: string; problem: string };

export interface Env {
  get(name: string): string | undefined;
}

export const SERVICE_URL = "AVITO_SYNC_SERVICE_URL";
export const SECRET = "AVITO_SYNC_FORWARDER_SECRET";
export const TIMEOUT = "AVITO_SYNC_FORWARDER_TIMEOUT_SECONDS";
export const MAX_BODY = "AVITO_SYNC_FORWARDER_MAX_BODY_BYTES";

export const DEFAULT_TIMEOUT_SECONDS = 120;
/** Supabase ends a request idle for 150 s: the forwarder must answer before that. */
export const MAX_TIMEOUT_SECONDS = 140;
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const MAX_MAX_BODY_BYTES = 10 * 1024 * 1024;

const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

function serviceUrl(raw: string | undefined): string | null {
  const value = raw?.trim();
  if (!value) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (!["http:", "https:"].includes(url.protocol) || url.search || url.hash) return null;
  if (url.username || url.password) return null;
  return url.href.replace(/\/+$/, "");
}

function number(raw: string | undefined, fallback: number): number | null {
  const value = raw?.trim();
  if (!value) return fallback;
  if (!/^\d+(\.\d+)?$/.test(value)) return null;
  return Number(value);
}

export function loadConfig(env: Env): ConfigResult {
  const url = serviceUrl(env.get(SERVICE_URL));
  if (url === null) {
    return { ok: false, variable: SERVICE_URL, problem: "must be the service's http(s) URL" };
  }
  const secret = env.get(SECRET)?.trim() || null;
  if (secret !== null && !PRINTABLE_ASCII.test(secret)) {
    return { ok: false, variable: SECRET, problem: "must be printable ASCII" };
  }
  const timeout = number(env.get(TIMEOUT), DEFAULT_TIMEOUT_SECONDS);
  if (timeout === null || timeout <= 0 || timeout > MAX_TIMEOUT_SECONDS) {
    return {
      ok: false,
      variable: TIMEOUT,
      problem: `must be seconds in (0, ${MAX_TIMEOUT_SECONDS}]`,
    };
  }
  const maxBody = number(env.get(MAX_BODY), DEFAULT_MAX_BODY_BYTES);
  if (
    maxBody === null || !Number.isInteger(maxBody) || maxBody < 1 || maxBody > MAX_MAX_BODY_BYTES
  ) {
    return {
      ok: false,
      variable: MAX_BODY,
      problem: `must be a whole number of bytes in [1, ${MAX_MAX_BODY_BYTES}]`,
    };
  }
  return {
    ok: true,
    config: {
      serviceUrl: url,
      secret,
      timeoutMs: Math.round(timeout * 1000),
      maxBodyBytes: maxBody,
    },
  };
}
