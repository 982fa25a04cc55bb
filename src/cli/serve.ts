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

/** registerServe adds the `serve` subcommand to the program. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Run the baton REST server (locks, dicts, SSE watch, metrics, OpenAPI).')
    .addOption(new Option('--backend <url>', 'backend URL').env('BATON_URL').default('memory://'))
    .addOption(new Option('--host <address>', 'listen address').env('BATON_HOST').default('127.0.0.1'))
    .addOption(
      new Option('--port <n>', 'listen port (0: any free port)')
        .env('BATON_PORT')
        .default(7070)
        .argParser(int(0, 65_535)),
    )
    .addOption(
      new Option('--auth-file <path>', 'bearer tokens file (JSON; see docs/OPERATIONS.md)').env(
        'BATON_AUTH_FILE',
      ),
    )
    .addOption(new Option('--insecure', 'allow a non-loopback address without auth'))
    .addOption(new Option('--public-metrics', 'serve /metrics without a token'))
    .addOption(
      new Option('--max-body-bytes <n>', 'largest request body and stored value')
        .env('BATON_MAX_BODY_BYTES')
        .default(1024 * 1024)
        .argParser(int(1, 2 ** 31 - 1)),
    )
    .addOption(
      new Option('--max-wait-ms <ms>', 'longest wait of one acquire request')
        .env('BATON_MAX_WAIT_MS')
        .default(30_000)
        .argParser(durationArg(1, 'ms')),
    )
    .addOption(
      new Option('--sse-keepalive-ms <ms>', 'interval of keep-alive comments on watch streams')
        .env('BATON_SSE_KEEPALIVE_MS')
        .default(15_000)
        .argParser(durationArg(1, 'ms')),
    )
    .addOption(
      new Option('--max-watches <n>', 'watch streams open at once, in all (429 past it)')
        .env('BATON_MAX_WATCHES')
        .default(10_000)
        .argParser(int(1, 2 ** 31 - 1)),
    )
    .addOption(
      new Option('--max-watches-per-token <n>', 'watch streams open at once per token (429 past it)')
        .env('BATON_MAX_WATCHES_PER_TOKEN')
        .default(1000)
        .argParser(int(1, 2 ** 31 - 1)),
    )
    .addOption(
      new Option('--shutdown-ms <ms>', 'how long in-flight requests may take after SIGTERM')
        .env('BATON_SHUTDOWN_MS')
        .default(10_000)
        .argParser(durationArg(1, 'ms')),
    )
    .addOption(
      new Option('--headers-timeout-ms <ms>', 'longest time a client may take to send a request head')
        .env('BATON_HEADERS_TIMEOUT_MS')
        .default(10_000)
        .argParser(durationArg(1, 'ms')),
    )
    .addOption(
      new Option('--request-timeout-ms <ms>', 'longest time a client may take to send a whole request')
        .env('BATON_REQUEST_TIMEOUT_MS')
        .default(30_000)
        .argParser(durationArg(1, 'ms')),
    )
    .addOption(
      new Option('--keep-alive-timeout-ms <ms>', 'how long an idle connection stays open')
        .env('BATON_KEEP_ALIVE_TIMEOUT_MS')
        .default(10_000)
        .argParser(durationArg(1, 'ms')),
    )
    .addOption(
      new Option('--max-connections <n>', 'most open connections (watch streams included)')
        .env('BATON_MAX_CONNECTIONS')
        .default(10_000)
        .argParser(int(1, 2 ** 31 - 1)),
    )
    .addOption(
      new Option('--max-connections-per-ip <n>', 'most open connections of one client address; 0 = no cap')
        .env('BATON_MAX_CONNECTIONS_PER_IP')
        .default(0)
        .argParser(int(0, 2 ** 31 - 1)),
    )
    .addOption(
      new Option(
        '--rate-limit <n>',
        'requests per second per token; 0 = off (default: off on loopback, else 500)',
      )
        .env('BATON_RATE_LIMIT')
        .argParser(int(0, 1_000_000)),
    )
    .addOption(
      new Option('--rate-burst <n>', 'burst size per token (default: 2 x rate)')
        .env('BATON_RATE_BURST')
        .argParser(int(1, 10_000_000)),
    )
    .addOption(
      new Option('--log-level <level>', 'pino log level')
        .env('BATON_LOG_LEVEL')
        .default('info')
        .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    )
    .action(async (flags: ServeFlags) => {
      await runServe(flags);
    });
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

function int(min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new UsageError(`must be an integer from ${min} to ${max}`);
    }
    return Number(value);
  };
}
