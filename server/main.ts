/**
 * `node dist/server.js`: runs one relay configured from the environment (see
 * `optionsFromEnv` in config.ts), logs, and stops cleanly on SIGTERM/SIGINT.
 */
import version from 'virtual:version';
import { PROTOCOL_VERSION } from '../src/protocol/index.js';
import { optionsFromEnv } from './config.js';
import { BusConnectError } from './bus/nats-bus.js';
import { ConfigError } from './errors.js';
import { createLogger, setLogLevel } from './log.js';
import { startRelay } from './relay.js';

const log = createLogger('main');

/** Past the relay's own shutdown bound, give up and exit non-zero. */
const EXIT_GRACE_MS = 5000;

/** Start-up failures go to stderr as plain text: they must be seen whatever LOG_LEVEL says. */
function die(message: string): never {
  process.stderr.write(`videocall-room relay: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  let env;
  try {
    env = optionsFromEnv(process.env);
  } catch (err) {
    if (err instanceof ConfigError) die(err.message);
    throw err;
  }
  if (env.logLevel) setLogLevel(env.logLevel);

  let relay;
  try {
    relay = await startRelay({ precompressBundle: true, ...env.options, version });
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e instanceof ConfigError) die(e.message);
    if (e instanceof BusConnectError) die(`${e.message}; start NATS or fix NATS_URL (unset it for a single relay)`);
    if (e.code === 'EADDRINUSE') die(`port ${env.options.port ?? 8080} is already in use; set PORT to another port`);
    if (e.code === 'EACCES') die(`not allowed to listen on port ${env.options.port ?? 8080}; use a port above 1023`);
    die(`cannot start: ${e.message}`);
  }
  log.info('relay listening', {
    url: relay.url,
    ws: relay.wsUrl,
    // Absent: off or unavailable (the warning above, and /healthz, say why).
    webTransport: relay.webTransport?.url ?? 'none',
    version,
    protocol: PROTOCOL_VERSION,
    bus: relay.bus.kind,
    node: relay.node,
  });

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn('second signal, exiting now', { signal });
      process.exit(1);
    }
    stopping = true;
    log.info('shutting down', { signal });
    setTimeout(
      () => {
        log.error('shutdown took too long, exiting');
        process.exit(1);
      },
      (env.options.shutdownTimeoutMs ?? 3000) + EXIT_GRACE_MS,
    ).unref();
    relay.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error('shutdown failed', { err });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

process.on('uncaughtException', (err) => {
  // Connection handlers are guarded; reaching here means relay state may be broken: exit and be restarted.
  log.error('uncaught exception', { err });
  process.exit(1);
});
process.on('unhandledRejection', (err) => {
  log.error('unhandled rejection', { err });
  process.exit(1);
});

main().catch((err: unknown) => die(`cannot start: ${(err as Error).message}`));
