/**
 * LOCAL ONLY (dev stack and tests; never deployed: the CLI skips directories starting with
 * `_`). Serves `<SUPABASE_URL>/functions/v1/<name>` the way Supabase's edge runtime does, so
 * supabase-js reaches the functions here as it does in production: every directory
 * `<name>/index.ts` beside `_local` is imported unchanged, the handler it gives `Deno.serve`
 * (or its `export default { fetch }`) is kept, and a request for `/functions/v1/<name>[/…]`
 * reaches that handler as `/<name>[/…]`, the path a function sees on Supabase. Every function
 * here is `verify_jwt = false` (supabase/config.toml), so no gateway JWT check is made.
 *
 * deno run --allow-net=127.0.0.1 --allow-env --allow-read=supabase/functions \
 *   supabase/functions/_local/gateway.ts --port 54321 [--host 127.0.0.1]
 */

type Handler = (req: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response>;

const FUNCTIONS_DIR = new URL("../", import.meta.url);
const FUNCTION_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
const PREFIX = "/functions/v1/";
export const READY_LINE = "functions gateway ready on";

function json(status: number, body: Record<string, unknown>): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

function handlerIn(args: unknown[]): Handler | null {
  for (const arg of args) {
    if (typeof arg === "function") return arg as Handler;
    if (typeof arg === "object" && arg !== null && "handler" in arg) {
      const { handler } = arg as { handler: unknown };
      if (typeof handler === "function") return handler as Handler;
    }
  }
  return null;
}

/** Imports each function with `Deno.serve` stubbed out, as the edge runtime's workers do. */
async function loadFunctions(): Promise<Map<string, Handler>> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(FUNCTIONS_DIR)) {
    if (!entry.isDirectory || !FUNCTION_NAME.test(entry.name)) continue;
    try {
      await Deno.stat(new URL(`${entry.name}/index.ts`, FUNCTIONS_DIR));
      names.push(entry.name);
    } catch {
      // not a function directory
    }
  }
  names.sort();

  const realServe = Deno.serve;
  const handlers = new Map<string, Handler>();
  let served: Handler | null = null;
  const idle = {
    finished: new Promise<void>(() => {}),
    addr: { transport: "tcp", hostname: "127.0.0.1", port: 0 },
    ref() {},
    unref() {},
    shutdown: () => Promise.resolve(),
    [Symbol.asyncDispose]: () => Promise.resolve(),
  } as unknown as Deno.HttpServer;
  Object.defineProperty(Deno, "serve", {
    configurable: true,
    value: (...args: unknown[]) => {
      served = handlerIn(args);
      return idle;
    },
  });
  try {
    for (const name of names) {
      served = null;
      const module = await import(new URL(`${name}/index.ts`, FUNCTIONS_DIR).href);
      const fetchExport = module.default?.fetch;
      const handler: Handler | null = served ??
        (typeof fetchExport === "function" ? fetchExport.bind(module.default) : null);
      if (handler === null) throw new Error(`${name}/index.ts serves nothing`);
      handlers.set(name, handler);
    }
  } finally {
    Object.defineProperty(Deno, "serve", { configurable: true, value: realServe });
  }
  return handlers;
}

function route(handlers: Map<string, Handler>): Handler {
  return async (req, info) => {
    const url = new URL(req.url);
    if (!url.pathname.startsWith(PREFIX)) {
      return json(404, { message: "no Route matched with those values" });
    }
    const tail = url.pathname.slice(PREFIX.length);
    const name = tail.split("/")[0];
    const handler = handlers.get(name);
    if (handler === undefined) {
      return json(404, { code: "NOT_FOUND", message: "Requested function was not found" });
    }
    // Method, headers and body only: copying `req` whole would also copy its abort signal.
    const inner = new Request(new URL(`/${tail}${url.search}`, url.origin), {
      method: req.method,
      headers: req.headers,
      body: req.body,
    });
    try {
      return await handler(inner, info);
    } catch (error) {
      console.error(
        JSON.stringify({ event: "function_crashed", function: name, error: String(error) }),
      );
      return json(500, { code: "WORKER_ERROR", message: "Function exited due to an error" });
    }
  };
}

function option(name: string, fallback: string | null): string {
  const at = Deno.args.indexOf(`--${name}`);
  const value = at >= 0 ? Deno.args[at + 1] : fallback;
  if (value === undefined || value === null) throw new Error(`--${name} is required`);
  return value;
}

if (import.meta.main) {
  const hostname = option("host", "127.0.0.1");
  const port = Number(option("port", null));
  const handlers = await loadFunctions();
  Deno.serve({
    hostname,
    port,
    onListen: ({ hostname, port }) => {
      const names = [...handlers.keys()].join(", ");
      console.log(`${READY_LINE} http://${hostname}:${port}${PREFIX}{${names}}`);
    },
  }, route(handlers));
}
