// `avito_sync`: relays every call to the avito-sync service (../_shared/forward.ts).
import { serveForwarder } from "../_shared/forward.ts";

serveForwarder("avito_sync");
