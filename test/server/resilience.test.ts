import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { TrackKind } from '../../src/protocol/index.js';
import type { Bus, BusHandler } from '../../server/bus/bus.js';
import { LocalBus } from '../../server/bus/local-bus.js';
import { startTestRelay, TestClient, waitFor } from './helpers.js';

/** A LocalBus that throws when publishing media in room `poison`. */
class FaultyBus implements Bus {
  readonly kind = 'local';
  readonly connected = true;
  readonly maxPayload = Infinity;
  private readonly inner = new LocalBus();
  publish(subject: string, payload: Uint8Array): void {
    if (subject.startsWith('room.poison.media.')) throw new Error('injected bus failure');
    this.inner.publish(subject, payload);
  }
  subscribe(pattern: string, handler: BusHandler) {
    return this.inner.subscribe(pattern, handler);
  }
  onConnectionChange(): () => void {
    return () => {};
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

describe('failures inside the relay', () => {
  it('closes only the connection whose handler threw (1011), and everyone else carries on', async () => {
    const bus = new FaultyBus();
    const relay = await startTestRelay({ bus });
    try {
      const a = await TestClient.joined(relay, 'r', 'a');
      const b = await TestClient.joined(relay, 'r', 'b');
      // Joining works; publishing this session's media throws inside the relay.
      const victim = await TestClient.joined(relay, 'poison', 'victim');
      const witness = await TestClient.joined(relay, 'poison', 'witness');
      victim.sendMedia('x', { kind: TrackKind.VIDEO });
      expect((await victim.next('error')).error).toMatchObject({ code: 'internal', fatal: true });
      expect((await victim.closed()).code).toBe(1011);
      expect((await witness.next('peerLeft')).peerLeft).toMatchObject({ id: victim.id, reason: 'disconnected' });
      expect(relay.stats().errors.internal).toBe(1);
      witness.close();
      await waitFor(() => relay.stats().rooms === 1, 2000, 'the poisoned room to close');
      a.sendMedia('fine');
      await b.nextMedia('fine');
      a.close();
      b.close();
    } finally {
      await relay.close();
      await bus.close();
    }
  });
});

describe('TLS', () => {
  it.skipIf(!hasOpenssl())('serves HTTPS and WSS when given a certificate and key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vc-tls-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-days',
          '2',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      const { optionsFromEnv } = await import('../../server/config.js');
      const { options } = optionsFromEnv({ TLS_CERT: join(dir, 'cert.pem'), TLS_KEY: join(dir, 'key.pem') });
      const relay = await startTestRelay(options);
      try {
        expect(relay.url).toMatch(/^https:/);
        expect(relay.wsUrl).toMatch(/^wss:/);
        const ws = new WebSocket(relay.wsUrl, { rejectUnauthorized: false });
        await new Promise<void>((resolve, reject) => {
          ws.once('open', resolve);
          ws.once('error', reject);
        });
        ws.close();
      } finally {
        await relay.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const bundled = new URL('../../dist/server.js', import.meta.url);

describe('the relay process (dist/server.js, after npm run build)', () => {
  it.skipIf(!existsSync(bundled))(
    'starts from the environment, serves /healthz, and exits 0 on SIGTERM after telling clients',
    async () => {
      const child = spawn(process.execPath, [bundled.pathname], {
        env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', VITEST: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      try {
        await waitFor(() => out.includes('relay listening'), 5000, 'the relay to listen');
        const listening = JSON.parse(out.split('\n').find((l) => l.includes('relay listening'))!) as {
          url: string;
          ws: string;
        };
        const health = (await (await fetch(`${listening.url}/healthz`)).json()) as { status: string };
        expect(health.status).toBe('ok');
        const c = await TestClient.joined({ wsUrl: listening.ws } as Parameters<typeof TestClient.joined>[0], 'r', 'a');
        const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
        child.kill('SIGTERM');
        expect((await c.next('error')).error.code).toBe('server-shutdown');
        expect((await c.closed()).code).toBe(1001);
        expect(await exited).toBe(0);
      } finally {
        child.kill('SIGKILL');
      }
    },
  );

  it.skipIf(!existsSync(bundled))('exits 1 with a clear message when no NATS server in NATS_URL answers', async () => {
    // A port that was free a moment ago: nothing listens there.
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer();
      probe.listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    let stderr = '';
    let status: number | null = 0;
    try {
      execFileSync(process.execPath, [bundled.pathname], {
        env: { ...process.env, NATS_URL: `nats://127.0.0.1:${closedPort}`, PORT: '0', HOST: '127.0.0.1' },
        stdio: 'pipe',
        timeout: 10_000,
      });
    } catch (err) {
      const e = err as { status: number | null; stderr: Buffer };
      status = e.status;
      stderr = e.stderr.toString();
    }
    expect(status).toBe(1);
    expect(stderr).toMatch(new RegExp(`cannot connect to NATS at nats://127.0.0.1:${closedPort}.*fix NATS_URL`));
  });
});

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
