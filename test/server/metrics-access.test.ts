/**
 * `/metrics` protection: behind a bearer token (`METRICS_TOKEN`), and on a port
 * of its own (`METRICS_PORT`), against a real relay over real HTTP.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { optionsFromEnv, resolveOptions } from '../../server/config.js';
import { ConfigError } from '../../server/errors.js';
import { bearerMatches } from '../../server/metrics-endpoint.js';
import type { Relay, RelayOptions } from '../../server/relay.js';
import { startTestRelay, TestClient } from './helpers.js';

const TOKEN = 'scrape-me-please-0123456789';
const relays: Relay[] = [];

async function relayWith(options: RelayOptions): Promise<Relay> {
  const relay = await startTestRelay({ webTransport: { enabled: false }, ...options });
  relays.push(relay);
  return relay;
}

afterEach(async () => {
  for (const relay of relays.splice(0)) await relay.close();
});

const get = (url: string, token?: string): Promise<Response> =>
  fetch(url, token === undefined ? {} : { headers: { Authorization: `Bearer ${token}` } });

describe('/metrics behind METRICS_TOKEN', () => {
  it('answers 401 without the token or with a wrong one, and the figures with it; refusals are counted', async () => {
    const relay = await relayWith(optionsFromEnv({ METRICS_TOKEN: TOKEN }).options);
    const client = await TestClient.joined(relay, 'room', 'ann');
    const none = await get(`${relay.url}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const body = await none.text();
    expect(body).not.toMatch(/videocall_/);
    expect((await get(`${relay.url}/metrics`, 'scrape-me-please-012345678X')).status).toBe(401);
    expect((await fetch(`${relay.url}/metrics`, { headers: { Authorization: `Basic ${TOKEN}` } })).status).toBe(401);
    const ok = await get(`${relay.url}/metrics`, TOKEN);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain; version=0.0.4/);
    const text = await ok.text();
    expect(text).toMatch(/^videocall_participants 1$/m);
    expect(text).toMatch(/^videocall_refused_total\{reason="metrics-token"\} 3$/m);
    // The rest of the relay is not behind the token.
    expect((await fetch(`${relay.url}/healthz`)).status).toBe(200);
    client.close();
  });

  it('compares bearer tokens exactly', () => {
    expect(bearerMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(`bearer   ${TOKEN}  `, TOKEN)).toBe(true);
    expect(bearerMatches(`Bearer ${TOKEN}x`, TOKEN)).toBe(false);
    expect(bearerMatches(`Bearer ${TOKEN.slice(1)}`, TOKEN)).toBe(false);
    expect(bearerMatches(TOKEN, TOKEN)).toBe(false);
    expect(bearerMatches(undefined, TOKEN)).toBe(false);
    expect(bearerMatches('Bearer', TOKEN)).toBe(false);
  });
});

describe('/metrics on METRICS_PORT', () => {
  it('moves /metrics to its own port: the main port no longer serves it, and closing the relay closes it', async () => {
    const relay = await relayWith({ metricsPort: 0 });
    expect(relay.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect((await fetch(`${relay.url}/metrics`)).status).toBe(404);
    const ok = await fetch(relay.metricsUrl!);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/^videocall_connections 0$/m);
    const other = new URL(relay.metricsUrl!);
    other.pathname = '/healthz';
    expect((await fetch(other)).status).toBe(404);
    expect((await fetch(relay.metricsUrl!, { method: 'POST' })).status).toBe(405);
    const url = relay.metricsUrl!;
    await relays.pop()!.close();
    await expect(fetch(url)).rejects.toThrow();
  });

  it('takes the token there too', async () => {
    const relay = await relayWith({ metricsPort: 0, metricsToken: TOKEN });
    expect((await fetch(relay.metricsUrl!)).status).toBe(401);
    expect((await get(relay.metricsUrl!, TOKEN)).status).toBe(200);
  });

  it('refuses a taken METRICS_PORT at start rather than running without metrics', async () => {
    const first = await relayWith({ metricsPort: 0 });
    const taken = Number(new URL(first.metricsUrl!).port);
    await expect(relayWith({ metricsPort: taken })).rejects.toThrow(/EADDRINUSE/);
  });
});

describe('metrics settings', () => {
  it('reads METRICS_PORT, METRICS_HOST and METRICS_TOKEN, and refuses bad values clearly', () => {
    expect(
      optionsFromEnv({ METRICS_PORT: '9464', METRICS_HOST: '10.0.0.5', METRICS_TOKEN: TOKEN }).options,
    ).toMatchObject({
      metricsPort: 9464,
      metricsHost: '10.0.0.5',
      metricsToken: TOKEN,
    });
    expect(() => optionsFromEnv({ METRICS_PORT: 'nine' })).toThrow(ConfigError);
    expect(() => resolveOptions({ metricsPort: 70000 })).toThrow(/metricsPort/);
    expect(() => resolveOptions({ port: 8111, metricsPort: 8111 })).toThrow(/differ/);
    expect(() => resolveOptions({ metricsToken: 'short' })).toThrow(/METRICS_TOKEN.*16/);
  });
});
