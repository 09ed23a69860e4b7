/**
 * CORS exactly as Supabase Edge Functions answer it: the `corsHeaders` object that
 * `@supabase/supabase-js/cors` exports (2.119), copied because the functions import nothing.
 * Every header supabase-js may send is allowed, so a browser preflight never fails.
 */
export const corsHeaders: Readonly<Record<string, string>> = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Headers":
    "authorization, x-client-info, apikey, content-type, x-retry-count, traceparent, tracestate, baggage",
  "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
};

/** The preflight answer of a Supabase function: 200 `ok` with the CORS headers. */
export function preflight(extra: HeadersInit = {}): Response {
  const headers = new Headers(extra);
  for (const [name, value] of Object.entries(corsHeaders)) headers.set(name, value);
  return new Response("ok", { status: 200, headers });
}
