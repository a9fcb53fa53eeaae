import { ApiError } from "../../errors/api-error.js";

/** Where the next page of a paginated list starts, and the snapshot it reads. */
export interface ContinuePosition {
  revision: number;
  /** The last key of the previous page. */
  after: string;
}

export function encodeContinue(pos: ContinuePosition): string {
  return Buffer.from(JSON.stringify({ v: 1, rv: pos.revision, after: pos.after })).toString("base64url");
}

export function decodeContinue(token: string): ContinuePosition {
  try {
    const raw: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (typeof raw === "object" && raw !== null) {
      const { v, rv, after } = raw as Record<string, unknown>;
      if (v === 1 && typeof rv === "number" && Number.isInteger(rv) && rv > 0 && typeof after === "string") {
        return { revision: rv, after };
      }
    }
  } catch {
    // fall through
  }
  throw ApiError.invalid("List", "", [{ field: "continue", message: "is not a continue token issued by this API" }]);
}
