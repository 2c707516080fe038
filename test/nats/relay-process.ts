/**
 * A relay in a process of its own, for tests that kill it (SIGKILL: a crash,
 * no goodbye). Started by `startRelayProcess`; prints one JSON line on stdout
 * when listening (`{ ready, url, wsUrl, node }`) and stops cleanly on SIGTERM.
 *
 *     node --import tsx test/nats/relay-process.ts '<RelayOptions as JSON>'
 */
import { startRelay, type RelayOptions } from '../../server/relay.js';

const options = JSON.parse(process.argv[2] ?? '{}') as RelayOptions;
const relay = await startRelay({ port: 0, host: '127.0.0.1', shutdownTimeoutMs: 500, ...options });
process.stdout.write(JSON.stringify({ ready: true, url: relay.url, wsUrl: relay.wsUrl, node: relay.node }) + '\n');
process.on('SIGTERM', () => {
  void relay.close().then(() => process.exit(0));
});
