// `avito-sync`: relays every call to the avito-sync service (../_shared/forward.ts).
import { serveForwarder } from "../_shared/forward.ts";

serveForwarder("avito-sync");
