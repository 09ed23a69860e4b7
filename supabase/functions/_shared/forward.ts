/**
 * A thin forwarder: the deployed app can only call Edge Functions on its Supabase project
 * (docs/app-contract.md §3), so each function the app invokes relays the call to the
 * avito-sync service and hands its answer back unchanged. It adds only what the platform
 * must: CORS, a request id, a bounded body, a deadline, and JSON errors instead of hangs.
 */
import { loadConfig } from "./config.ts";
import { corsHeaders, preflight } from "./cors.ts";
import { errorResponse, errorStatus, type ForwarderErrorCode } from "./errors.ts";

/** On every answer of a forwarder (tells ours from the old functions; never rename). */
export const MARKER_HEADER = "x-avito-sync-forwarder";
/** Carries AVITO_SYNC_FORWARDER_SECRET to the service, which may require it. */
export const SECRET_HEADER = "x-avito-sync-forwarder-secret";
export const REQUEST_ID_HEADER = "x-request-id";

/** What the service needs from the caller; nothing else (cookies, forwarding chains) leaks. */
const FORWARDED_REQUEST_HEADERS = ["authorization", "apikey", "x-client-info", "content-type"];
/** What the app or a client may act on; the service's own CORS headers are replaced by ours. */
const RETURNED_HEADERS = [
  "content-type",
  "retry-after",
  "www-authenticate",
  "location",
  "cache-control",
];
/** The service answers small JSON; anything larger is not an answer of ours. */
const MAX_ANSWER_BYTES = 8 * 1024 * 1024;
const REQUEST_ID = /^[\x21-\x7e]{1,200}$/;
const NULL_BODY_STATUSES = new Set([204, 205, 304]);

class TooLarge extends Error {}

/** The whole stream, or `TooLarge` as soon as it passes `limit` bytes. */
async function readLimited(
  stream: ReadableStream<Uint8Array> | null,
  limit: number,
): Promise<Uint8Array<ArrayBuffer>> {
  if (stream === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = stream.getReader();
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new TooLarge();
    }
    chunks.push(value);
  }
  const whole = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    whole.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return whole;
}

function isJson(contentType: string | null): boolean {
  const media = (contentType ?? "").split(";")[0].trim().toLowerCase();
  return media === "application/json" || media.endsWith("+json");
}

/**
 * `<service>/functions/v1/<name>` plus any sub-path and the query. On Supabase a function
 * sees its request as `/<name>[/…]`; `/functions/v1/<name>[/…]` is accepted too.
 */
function upstreamUrl(serviceUrl: string, name: string, requestUrl: string): string {
  const url = new URL(requestUrl);
  let path = url.pathname;
  if (path.startsWith("/functions/v1/")) path = path.slice("/functions/v1".length);
  const own = `/${name}`;
  const rest = path.startsWith(`${own}/`) ? path.slice(own.length) : "";
  return `${serviceUrl}/functions/v1/${name}${rest}${url.search}`;
}

function requestIdOf(req: Request): string {
  const given = req.headers.get(REQUEST_ID_HEADER);
  return given !== null && REQUEST_ID.test(given) ? given : crypto.randomUUID();
}

function log(event: string, fields: Record<string, unknown>): void {
  // One JSON line per failure; never a header value or a body.
  console.error(JSON.stringify({ event, ...fields }));
}

/** The request handler of the function `name`. */
export function forwarder(name: string): (req: Request) => Promise<Response> {
  return async (req: Request): Promise<Response> => {
    const requestId = requestIdOf(req);
    const base = new Headers(corsHeaders);
    base.set(MARKER_HEADER, "1");
    base.set(REQUEST_ID_HEADER, requestId);
    if (req.method === "OPTIONS") return preflight(base);

    const loaded = loadConfig(Deno.env);
    if (!loaded.ok) {
      log("forwarder_not_configured", {
        function: name,
        request_id: requestId,
        variable: loaded.variable,
        problem: loaded.problem,
      });
      return errorResponse("FORWARDER_NOT_CONFIGURED", base);
    }
    const { config } = loaded;
    const fail = (code: ForwarderErrorCode, detail: Record<string, unknown> = {}): Response => {
      log("forwarder_error", {
        function: name,
        request_id: requestId,
        code,
        status: errorStatus(code),
        ...detail,
      });
      return errorResponse(code, base);
    };

    let body: Uint8Array<ArrayBuffer> | null = null;
    if (req.method !== "GET" && req.method !== "HEAD") {
      const declared = Number(req.headers.get("content-length") ?? "0");
      if (declared > config.maxBodyBytes) return fail("PAYLOAD_TOO_LARGE");
      try {
        body = await readLimited(req.body, config.maxBodyBytes);
      } catch (error) {
        return fail(error instanceof TooLarge ? "PAYLOAD_TOO_LARGE" : "BODY_UNREADABLE");
      }
    }

    const headers = new Headers();
    for (const header of FORWARDED_REQUEST_HEADERS) {
      const value = req.headers.get(header);
      if (value !== null) headers.set(header, value);
    }
    headers.set(REQUEST_ID_HEADER, requestId);
    if (config.secret !== null) headers.set(SECRET_HEADER, config.secret);

    const started = Date.now();
    const signal = AbortSignal.timeout(config.timeoutMs);
    let answer: Response;
    let payload: Uint8Array<ArrayBuffer>;
    try {
      answer = await fetch(upstreamUrl(config.serviceUrl, name, req.url), {
        method: req.method,
        headers,
        body,
        redirect: "manual",
        signal,
      });
      payload = await readLimited(answer.body, MAX_ANSWER_BYTES);
    } catch (error) {
      const detail = { elapsed_ms: Date.now() - started, error: String(error).slice(0, 200) };
      if (signal.aborted) return fail("SERVICE_TIMEOUT", detail);
      return fail(error instanceof TooLarge ? "SERVICE_BAD_ANSWER" : "SERVICE_UNREACHABLE", detail);
    }
    if (payload.byteLength > 0 && !isJson(answer.headers.get("content-type"))) {
      // A proxy's or platform's HTML error page in front of the service: never passed on.
      return fail("SERVICE_BAD_ANSWER", { upstream_status: answer.status });
    }

    const out = new Headers(base);
    for (const header of RETURNED_HEADERS) {
      const value = answer.headers.get(header);
      if (value !== null) out.set(header, value);
    }
    const empty = NULL_BODY_STATUSES.has(answer.status) || req.method === "HEAD";
    return new Response(empty ? null : payload, { status: answer.status, headers: out });
  };
}

/** What each function's index.ts runs: `Deno.serve` with the forwarder of `name`. */
export function serveForwarder(name: string): void {
  Deno.serve(forwarder(name));
}
