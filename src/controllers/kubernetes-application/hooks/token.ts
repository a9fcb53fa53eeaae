import { randomBytes } from "node:crypto";

/** Bytes of randomness in a hook token (Krake's token_urlsafe() uses 32). */
export const HOOK_TOKEN_BYTES = 32;

/**
 * A new hook token: 32 random bytes, base64url without padding (43
 * characters), as Python's secrets.token_urlsafe() makes Krake's. It travels
 * in a Secret and in the JSON body of the hook's PUT, so it needs no escaping.
 */
export function generateHookToken(): string {
  return randomBytes(HOOK_TOKEN_BYTES).toString("base64url");
}
