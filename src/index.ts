export { Baton, type DictOptions } from './baton.js';
export { type ConnectOptions, type ConnectTarget, connect } from './connect.js';
export {
  BackendUnavailableError,
  BatonError,
  type ErrorCode,
  ForbiddenError,
  HistoryCompactedError,
  InvalidArgumentError,
  isBatonError,
  LockLostError,
  LockNotHeldError,
  LockTimeoutError,
  NotFoundError,
  NotReplicatedError,
  PayloadTooLargeError,
  StaleFenceError,
  type StaleFenceReason,
  TypeMismatchError,
  UnauthorizedError,
  UnsupportedError,
  VersionConflictError,
  WatchOverflowError,
} from './errors.js';
export type { FenceScope, FenceScopeKind } from './fence-scope.js';
export type { LockCapabilities, LockInfo } from './locks/backend.js';
export { Lease } from './locks/lease.js';
export { type AcquireOptions, DEFAULT_LOCK_OPTIONS, Lock, type LockOptions } from './locks/lock.js';
export {
  type PermitOptions,
  RwLock,
  type RwLockInfo,
  Semaphore,
  type SemaphoreOptions,
} from './locks/semaphore.js';
export {
  MAX_PERMITS,
  type PermitHolder,
  type SemaphoreCapabilities,
  type SemaphoreInfo,
} from './locks/semaphore-backend.js';
export { assignPartitions, MAX_PARTITIONS, partitionScore } from './recipes/assign.js';
export {
  type CampaignOptions,
  ELECTIONS_DICT,
  Election,
  electionLock,
  type Leader,
  Leadership,
} from './recipes/election.js';
export { Group, type GroupChange, type JoinOptions, type Member, Membership } from './recipes/group.js';
export {
  groupDict,
  type PartitionChange,
  Partitions,
  type PartitionsOptions,
  partitionLock,
} from './recipes/partitions.js';
export type { DictCapabilities } from './shared-state/backend.js';
export { DEFAULT_MAX_VALUE_BYTES, type JsonValue } from './shared-state/codec.js';
export {
  type Change,
  type DictOp,
  type DictSetOptions,
  type Entry,
  type FencedOptions,
  type FenceSource,
  MAX_BATCH_OPS,
  type Page,
  SharedDict,
  type UpdateOptions,
} from './shared-state/dict.js';
export {
  MAX_CACHE_ENTRIES,
  type NearCacheOptions,
  type NearCacheStats,
} from './shared-state/near-cache.js';
export { Barrier, MAX_PARTIES } from './sync/barrier.js';
export { Event, SharedEvent } from './sync/event.js';
export { MAX_KEY_BYTES, MAX_NAME_LENGTH, MAX_TTL_MS } from './validation.js';
