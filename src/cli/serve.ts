/**
 * `baton serve`: run the REST server (src/server) until SIGTERM or SIGINT, then shut down
 * gracefully. Every flag has an environment variable; flags win. It refuses to listen on a
 * non-loopback address without a tokens file unless --insecure (exit status 2, one line on stderr).
 */
import { type Command, Option, InvalidArgumentError as UsageError } from 'commander';
import { durationArg } from './duration.js';

interface ServeFlags {
  backend: string;
  host: string;
  port: number;
  authFile?: string;
  insecure?: boolean;
  publicMetrics?: boolean;
  maxBodyBytes: number;
  maxWaitMs: number;
  sseKeepaliveMs: number;
  maxWatches: number;
  maxWatchesPerToken: number;
  shutdownMs: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
  maxConnectionsPerIp: number;
  rateLimit?: number;
  rateBurst?: number;
  logLevel: string;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** COUNT is a positive 32-bit count (COUNT_0 may be 0); MS a duration (`500`, `2s`, `1m`) of at least 1 ms. */
const COUNT = int(1, 2 ** 31 - 1);
const COUNT_0 = int(0, 2 ** 31 - 1);
const MS = durationArg(1, 'ms');

/** registerServe adds the `serve` subcommand to the program. */
export function registerServe(program: Command): void {
  const serve = program
    .command('serve')
    .description('Run the baton REST server (locks, dicts, SSE watch, metrics, OpenAPI).');
  for (const option of serveOptions()) serve.addOption(option);
  serve.action(async (flags: ServeFlags) => {
    await runServe(flags);
  });
}

/** serveOptions are the flags of `serve`, in the order its help lists them. */
function serveOptions(): Option[] {
  return [
    new Option('--backend <url>', 'backend URL').env('BATON_URL').default('memory://'),
    setting('--host <address>', 'listen address', TEXT, '127.0.0.1'),
    setting('--port <n>', 'listen port (0: any free port)', int(0, 65_535), 7070),
    setting('--auth-file <path>', 'bearer tokens file (JSON; see docs/OPERATIONS.md)', TEXT),
    new Option('--insecure', 'allow a non-loopback address without auth'),
    new Option('--public-metrics', 'serve /metrics without a token'),
    setting('--max-body-bytes <n>', 'largest request body and stored value', COUNT, 1024 * 1024),
    setting('--max-wait-ms <ms>', 'longest wait of one acquire request', MS, 30_000),
    setting('--sse-keepalive-ms <ms>', 'interval of keep-alive comments on watch streams', MS, 15_000),
    setting('--max-watches <n>', 'watch streams open at once, in all (429 past it)', COUNT, 10_000),
    setting('--max-watches-per-token <n>', 'watch streams open at once per token (429 past it)', COUNT, 1000),
    setting('--shutdown-ms <ms>', 'how long in-flight requests may take after SIGTERM', MS, 10_000),
    setting('--headers-timeout-ms <ms>', 'longest time a client may take to send a request head', MS, 10_000),
    setting(
      '--request-timeout-ms <ms>',
      'longest time a client may take to send a whole request',
      MS,
      30_000,
    ),
    setting('--keep-alive-timeout-ms <ms>', 'how long an idle connection stays open', MS, 10_000),
    setting('--max-connections <n>', 'most open connections (watch streams included)', COUNT, 10_000),
    setting(
      '--max-connections-per-ip <n>',
      'most open connections of one client address; 0 = no cap',
      COUNT_0,
      0,
    ),
    setting(
      '--rate-limit <n>',
      'requests per second per token; 0 = off (default: off on loopback, else 500)',
      int(0, 1_000_000),
    ),
    setting('--rate-burst <n>', 'burst size per token (default: 2 x rate)', int(1, 10_000_000)),
    setting('--log-level <level>', 'pino log level', TEXT, 'info').choices(LOG_LEVELS),
  ];
}

async function runServe(flags: ServeFlags): Promise<void> {
  // The server and its libraries (express, pino, prom-client, zod) load only when it runs, so
  // that every other baton command starts without them.
  const [{ createLogger }, { startServer }, { onShutdownSignals }] = await Promise.all([
    import('../server/logging.js'),
    import('../server/server.js'),
    import('../server/shutdown.js'),
  ]);
  const logger = createLogger({ level: flags.logLevel });
  const rate = flags.rateLimit;
  const running = await startServer({
    backend: flags.backend,
    host: flags.host,
    port: flags.port,
    authFile: flags.authFile,
    insecure: flags.insecure === true,
    publicMetrics: flags.publicMetrics === true,
    limits: {
      maxBodyBytes: flags.maxBodyBytes,
      maxWaitMs: flags.maxWaitMs,
      sseKeepAliveMs: flags.sseKeepaliveMs,
      maxWatches: flags.maxWatches,
      maxWatchesPerToken: flags.maxWatchesPerToken,
    },
    rateLimit:
      rate === undefined
        ? undefined
        : rate === 0
          ? null
          : { perSecond: rate, burst: flags.rateBurst ?? 2 * rate },
    connections: {
      headersTimeoutMs: flags.headersTimeoutMs,
      requestTimeoutMs: flags.requestTimeoutMs,
      keepAliveTimeoutMs: flags.keepAliveTimeoutMs,
      maxConnections: flags.maxConnections,
      maxConnectionsPerAddress: flags.maxConnectionsPerIp,
    },
    shutdownMs: flags.shutdownMs,
    logger,
  });
  onShutdownSignals(() => running.close(), logger);
}

/**
 * setting is a flag that takes a value, read also from the environment variable named after it
 * (`--max-wait-ms` → BATON_MAX_WAIT_MS), checked by `parse`, and `fallback` when neither is given.
 */
function setting(
  flags: string,
  description: string,
  parse: (value: string) => unknown,
  fallback?: unknown,
): Option {
  const name = /^--([a-z-]+)/.exec(flags)?.[1] ?? flags;
  const option = new Option(flags, description)
    .env(`BATON_${name.replaceAll('-', '_').toUpperCase()}`)
    .argParser(parse);
  return fallback === undefined ? option : option.default(fallback);
}

/** TEXT takes a flag's value as it is. */
const TEXT = (value: string): string => value;

function int(min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new UsageError(`must be an integer from ${min} to ${max}`);
    }
    return Number(value);
  };
}
