import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Compares a presented hook token with the stored one in constant time (both
 * are hashed first so their lengths cannot leak either). No stored token means
 * the hook is not enabled: nothing matches.
 */
export function hookTokenMatches(presented: string, stored: string | undefined): boolean {
  if (!stored) return false;
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(presented), digest(stored));
}
