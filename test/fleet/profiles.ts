/**
 * The two fleet profiles: SHORT runs in `npm test` (every backend together well under three
 * minutes on a 2-core machine), LONG is the soak of `npm run test:fleet -- --long`.
 */

/** Profile is the timing of one fleet run. */
export interface Profile {
  /** durationMs is how long the nemesis injects faults. */
  readonly durationMs: number;
  /** quietMs is how long the fleet runs after every fault is healed. */
  readonly quietMs: number;
  /** faultGapMs is the range of the pause between two faults. */
  readonly faultGapMs: readonly [number, number];
}

/** SHORT is the profile `npm test` runs: one cycle of every fault kind, or close to it. */
export const SHORT: Profile = Object.freeze({
  durationMs: 10_000,
  quietMs: 2_000,
  faultGapMs: [300, 1200] as const,
});

/** LONG soaks one backend for 10 minutes. */
export const LONG: Profile = Object.freeze({
  durationMs: 10 * 60_000,
  quietMs: 10_000,
  faultGapMs: [500, 3000] as const,
});

/**
 * FAILOVER_SHORT is the failover backends' profile in `npm test`: one cycle of every fault kind.
 * A failover fault itself lasts several seconds (down-after, the promotion, the replicas'
 * resync), so the nemesis's own duration is short.
 */
export const FAILOVER_SHORT: Profile = Object.freeze({
  durationMs: 5_000,
  quietMs: 3_000,
  faultGapMs: [300, 1000] as const,
});
