const BASE_SECONDS = 2;
const MAX_SECONDS = 300;

/**
 * Delay before redelivering a message that failed `attempts` times (1 on the first failure):
 * 2, 4, 8, … seconds up to 5 minutes. `fast` (test hooks) retries at once so a whole retry budget
 * runs in seconds.
 */
export function retryDelaySeconds(attempts: number, fast = false): number {
  if (fast) return 0;
  const exponent = Math.max(0, Math.min(attempts, 30) - 1);
  return Math.min(MAX_SECONDS, BASE_SECONDS * 2 ** exponent);
}
