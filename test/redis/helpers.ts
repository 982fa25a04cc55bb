/** Helpers shared by the Redis-specific tests. */
import type { Baton } from '../../src/index.js';
import { untilSucceeds } from '../support/retry.js';

export { RECOVERY_MS, timed } from '../support/retry.js';

/** untilAnswers resolves once `baton.ping()` succeeds (the client reconnected), or rejects after RECOVERY_MS. */
export function untilAnswers(baton: Baton): Promise<void> {
  return untilSucceeds(() => baton.ping());
}
