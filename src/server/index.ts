/** The baton server: the REST API as an embeddable express app, and a listening server with graceful shutdown. */
export { type AppOptions, type BatonApp, createApp } from './app.js';
export { type Access, type AuthOptions, isLoopbackAddress, type Principal } from './auth.js';
export { loadTokenFile, parseTokenFile, type Right, sha256, type TokenRule } from './auth-file.js';
export { createLogger, REDACT } from './logging.js';
export { createMetrics, type ServerMetrics } from './metrics.js';
export { buildOpenApi, type OpenApiDocument } from './openapi.js';
export { DEFAULT_LIMITS, type Limits } from './options.js';
export { HttpProblem, type ProblemCode, STATUS_OF } from './problems.js';
export type { RateLimitOptions } from './rate-limit.js';
export { DEFAULT_REMOTE_RATE_LIMIT, type RunningServer, type ServeOptions, startServer } from './server.js';
export { drain, onShutdownSignals } from './shutdown.js';
