import { Metadata } from "@grpc/grpc-js";
import type { ServiceError } from "@grpc/grpc-js";
import { ApiError, Status } from "../../errors/api-error.js";
import type { FieldError } from "../../errors/api-error.js";

export interface ErrorLogger {
  error(fields: Record<string, unknown>, msg: string): void;
}

/**
 * Trailer budgets. grpc-js clients refuse more than 8 KiB of metadata by
 * default, and a status whose trailers the client refuses never arrives (the
 * call hangs until its deadline): the message (percent-encoded, up to three
 * bytes per byte) and the field errors together stay well below that.
 */
const maxFieldErrorBytes = 3_072;
const maxMessageChars = 400;

/**
 * The gRPC edge of ApiError: code and message go to the client, with the
 * reason and field errors as trailing metadata; an internal error's cause is
 * logged with the request id, never sent. Never throws: whatever the error
 * holds, the trailers are valid ASCII (grpc-js throws on anything else, and
 * field errors quote user input).
 */
export function toServiceError(err: unknown, requestId: string, log: ErrorLogger): Partial<ServiceError> {
  const api = ApiError.from(err);
  const metadata = new Metadata();
  metadata.set("krake-reason", asciiJsonText(api.reason));
  metadata.set("krake-request-id", asciiJsonText(requestId));
  if (api.details.length) metadata.set("krake-field-errors", fieldErrorsTrailer(api.details));
  let details = api.message.length > maxMessageChars ? `${api.message.slice(0, maxMessageChars)}… (truncated)` : api.message;
  if (api.code === Status.INTERNAL) {
    try {
      log.error({ err: api.cause ?? api, requestId }, "internal error");
    } catch {
      // a failing logger must not keep the client from its answer
    }
    details = `internal error (request id ${requestId})`;
  }
  return { code: api.code, details, metadata };
}

/**
 * The field errors as JSON in printable ASCII: every other character is a
 * JSON `\uXXXX` escape, so `JSON.parse` on the client gives back the exact
 * text. Errors that do not fit the budget are left out (the message has the
 * summary).
 */
export function fieldErrorsTrailer(errors: FieldError[]): string {
  const parts: string[] = [];
  let size = 2;
  for (const e of errors) {
    const text = asciiJsonText(JSON.stringify({ field: e.field, message: e.message }));
    if (size + text.length + 1 > maxFieldErrorBytes) break;
    parts.push(text);
    size += text.length + 1;
  }
  return `[${parts.join(",")}]`;
}

/** Escapes whatever is not printable ASCII as `\uXXXX` (valid inside JSON strings, which is where it can occur). */
function asciiJsonText(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
