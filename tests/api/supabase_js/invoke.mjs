// Calls the service exactly as the frontend does: supabase.functions.invoke(name, {body}).
// Input (env): SUPABASE_URL, ANON_KEY, ACCESS_TOKEN, FUNCTION, BODY (JSON), ORIGIN (optional).
// Output (stdout): {data, error: {name, message, status} | null} as JSON.
import { createClient } from "@supabase/supabase-js";

const { SUPABASE_URL, ANON_KEY, ACCESS_TOKEN, FUNCTION, BODY } = process.env;
// Realtime is never used here; Node 20 has no native WebSocket for it to find, so it gets an
// inert constructor. Functions, the part under test, are untouched.
class NoWebSocket {}
const supabase = createClient(SUPABASE_URL, ANON_KEY, {
  accessToken: async () => ACCESS_TOKEN || null,
  realtime: { transport: NoWebSocket },
});
const { data, error } = await supabase.functions.invoke(FUNCTION, { body: JSON.parse(BODY) });
const described = error
  ? { name: error.name, message: error.message, status: error.context?.status ?? null }
  : null;
process.stdout.write(JSON.stringify({ data, error: described }));
