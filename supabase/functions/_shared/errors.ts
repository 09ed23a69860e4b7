/**
 * The forwarder's own failures: JSON in the service's error shape (`success`, `code`,
 * `message`, `error`), never an HTML page. They are non-2xx, so the deployed app reads only
 * the status (supabase-js drops the body of a non-2xx answer, docs/app-contract.md §3);
 * the Russian text is for anyone reading the body, the stable code for tooling.
 */

export type ForwarderErrorCode =
  | "FORWARDER_NOT_CONFIGURED"
  | "PAYLOAD_TOO_LARGE"
  | "BODY_UNREADABLE"
  | "SERVICE_UNREACHABLE"
  | "SERVICE_BAD_ANSWER"
  | "SERVICE_TIMEOUT";

const ERRORS: Record<ForwarderErrorCode, { status: number; message: string }> = {
  FORWARDER_NOT_CONFIGURED: {
    status: 500,
    message:
      "Функция не настроена: не задан адрес сервиса синхронизации Avito. Обратитесь в поддержку.",
  },
  PAYLOAD_TOO_LARGE: { status: 413, message: "Запрос слишком большой." },
  BODY_UNREADABLE: { status: 400, message: "Не удалось прочитать тело запроса." },
  SERVICE_UNREACHABLE: {
    status: 502,
    message: "Сервис синхронизации Avito временно недоступен. Попробуйте через минуту.",
  },
  SERVICE_BAD_ANSWER: {
    status: 502,
    message: "Сервис синхронизации Avito ответил с ошибкой. Попробуйте позже.",
  },
  SERVICE_TIMEOUT: {
    status: 504,
    message: "Сервис синхронизации Avito не ответил вовремя. Попробуйте ещё раз.",
  },
};

export function errorStatus(code: ForwarderErrorCode): number {
  return ERRORS[code].status;
}

/** The JSON answer for `code`, with `headers` (CORS, marker, request id) added. */
export function errorResponse(code: ForwarderErrorCode, headers: Headers): Response {
  const { status, message } = ERRORS[code];
  const out = new Headers(headers);
  out.set("content-type", "application/json; charset=utf-8");
  const body = { success: false, code, message, error: message };
  return new Response(JSON.stringify(body), { status, headers: out });
}
