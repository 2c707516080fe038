import { afterEach, describe, expect, it } from 'vitest';
import { setLogLevel, setLogSink } from '../../server/log.js';
import { generateDevCertificate } from '../../server/webtransport/dev-certificate.js';
import { loadQuiche } from '../../server/webtransport/quic-binding.js';
import { startRelayWebTransport, webTransportEnv, type RelayWebTransport } from '../../server/wt-server.js';

const started: RelayWebTransport[] = [];

afterEach(async () => {
  for (const wt of started.splice(0)) await wt.close();
});

async function start(options: Partial<Parameters<typeof startRelayWebTransport>[0]> = {}): Promise<RelayWebTransport> {
  const wt = await startRelayWebTransport({ host: '127.0.0.1', port: 0, onsession: () => {}, ...options });
  started.push(wt);
  return wt;
}

describe('WebTransport in the relay', () => {
  it('reads WEBTRANSPORT and WT_PORT from the environment', () => {
    expect(webTransportEnv({})).toEqual({});
    expect(webTransportEnv({ WEBTRANSPORT: 'off', WT_PORT: '4433' })).toEqual({ enabled: false, port: 4433 });
    expect(webTransportEnv({ WEBTRANSPORT: 'ON' })).toEqual({ enabled: true });
    expect(() => webTransportEnv({ WT_PORT: '70000' })).toThrow(/WT_PORT/);
    expect(() => webTransportEnv({ WEBTRANSPORT: 'maybe' })).toThrow(/WEBTRANSPORT/);
  });

  it('runs with a generated certificate and publishes its hash for serverCertificateHashes', async () => {
    const wt = await start();
    expect(wt.status).toMatchObject({ status: 'ok', path: '/wt', certificate: 'generated' });
    const info = wt.info()!;
    expect(info.port).toBe(wt.server!.port);
    expect(info.serverCertificateHashes).toEqual([
      { algorithm: 'sha-256', value: Buffer.from(wt.server!.certificateHash).toString('base64') },
    ]);
    expect(Date.parse(info.expires!) - Date.now()).toBeLessThan(14 * 24 * 3600 * 1000);
  });

  it('publishes no hash for a configured certificate (browsers verify it the usual way)', async () => {
    const dev = generateDevCertificate();
    const wt = await start({ tls: { cert: dev.cert, key: dev.key } });
    expect(wt.status).toMatchObject({ status: 'ok', certificate: 'configured' });
    expect(wt.info()!.serverCertificateHashes).toEqual([]);
  });

  it('is off when asked', async () => {
    const wt = await start({ enabled: false });
    expect(wt.status).toEqual({ status: 'off' });
    expect(wt.info()).toBeUndefined();
  });

  it('starts without WebTransport, and says so, when the native binding is missing', async () => {
    const missing = await loadQuiche('@matrixai/quic-not-installed/native/index.js');
    expect(missing.ok).toBe(false);
    const lines: string[] = [];
    const previousSink = setLogSink((line) => lines.push(line));
    setLogLevel('warn');
    try {
      const wt = await start({ loadBinding: () => Promise.resolve(missing) });
      expect(wt.status).toMatchObject({ status: 'unavailable' });
      expect((wt.status as { reason: string }).reason).toMatch(/quic-unavailable: .*did not load/);
      expect(wt.info()).toBeUndefined();
    } finally {
      setLogLevel('silent');
      setLogSink(previousSink);
    }
    const warning = lines.map((line) => JSON.parse(line) as Record<string, string>).find((l) => l.level === 'warn');
    expect(warning?.msg).toBe('WebTransport unavailable: clients will use WebSocket');
  });

  it('is unavailable, not fatal, when its UDP port is taken', async () => {
    const first = await start();
    const second = await start({ port: first.server!.port });
    expect(second.status).toMatchObject({ status: 'unavailable' });
    expect((second.status as { reason: string }).reason).toMatch(/bind-failed/);
  });
});
