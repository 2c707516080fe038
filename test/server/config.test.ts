import { describe, expect, it } from 'vitest';
import { optionsFromEnv, resolveOptions } from '../../server/config.js';
import { ConfigError } from '../../server/errors.js';

describe('configuration from the environment', () => {
  it('leaves every option to its default when nothing is set', () => {
    expect(optionsFromEnv({})).toEqual({ options: {}, logLevel: undefined });
    const resolved = resolveOptions({});
    expect(resolved).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      maxMessageBytes: 512 * 1024,
      maxRoomSize: 100,
      heartbeatIntervalMs: 5000,
    });
    expect(resolved.demoDir).toMatch(/[/\\]demo$/);
    expect(resolved.distDir).toMatch(/[/\\]dist$/);
    expect(resolved.bus.kind).toBe('local');
  });

  it('reads ports, limits, directories and the log level', () => {
    const { options, logLevel } = optionsFromEnv({
      PORT: '18080',
      HOST: '127.0.0.1',
      MAX_MESSAGE_BYTES: '65536',
      MAX_ROOM_SIZE: '8',
      HEARTBEAT_INTERVAL_MS: '1000',
      DEMO_DIR: '/srv/demo',
      DIST_DIR: '/srv/dist',
      LOG_LEVEL: 'WARN',
    });
    expect(options).toEqual({
      port: 18080,
      host: '127.0.0.1',
      maxMessageBytes: 65536,
      maxRoomSize: 8,
      heartbeatIntervalMs: 1000,
      demoDir: '/srv/demo',
      distDir: '/srv/dist',
    });
    expect(logLevel).toBe('warn');
  });

  it('reads AUTH_SECRET, and AUTH_PUBLIC_KEY inline or from a file; not both', () => {
    expect(optionsFromEnv({ AUTH_SECRET: 's'.repeat(32) }).options.auth).toEqual({ secret: 's'.repeat(32) });
    const pem = '-----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY-----';
    expect(optionsFromEnv({ AUTH_PUBLIC_KEY: pem }).options.auth).toEqual({ publicKey: pem });
    expect(() => optionsFromEnv({ AUTH_PUBLIC_KEY: '/nonexistent/key.pem' })).toThrow(/cannot read/);
    expect(() => optionsFromEnv({ AUTH_SECRET: 's'.repeat(32), AUTH_PUBLIC_KEY: pem })).toThrow(ConfigError);
  });

  it('reads ALLOWED_ORIGINS as a list of origins', () => {
    expect(optionsFromEnv({ ALLOWED_ORIGINS: 'https://a.example, https://b.example' }).options.allowedOrigins).toEqual([
      'https://a.example',
      'https://b.example',
    ]);
    expect(() => optionsFromEnv({ ALLOWED_ORIGINS: 'a.example' })).toThrow(ConfigError);
  });

  it('reads NATS_URL as a comma-separated list of servers and runs on a NATS bus', () => {
    const { options } = optionsFromEnv({ NATS_URL: ' nats://10.0.0.1:4222, 10.0.0.2:4223 ,tls://nats.example:4222' });
    expect(options.natsUrl).toBe('nats://10.0.0.1:4222,10.0.0.2:4223,tls://nats.example:4222');
    const resolved = resolveOptions(options);
    expect(resolved.natsServers).toEqual(['nats://10.0.0.1:4222', '10.0.0.2:4223', 'tls://nats.example:4222']);
    expect(resolved.bus.kind).toBe('nats');
    expect(resolved.bus.connected).toBe(false); // startRelay connects it
    expect(resolved.ownsBus).toBe(true);
  });

  it.each(['http://127.0.0.1:4222', ' , ', 'nats://:4222', 'nats://host:4222/path'])(
    'refuses NATS_URL=%j saying how to list servers',
    (value) => {
      expect(() => optionsFromEnv({ NATS_URL: value })).toThrow(ConfigError);
      expect(() => optionsFromEnv({ NATS_URL: value })).toThrow(/NATS_URL.*nats:\/\//);
    },
  );

  it('reads the lobby, removal ban and control budget settings', () => {
    const { options } = optionsFromEnv({
      LOBBY: 'on',
      MAX_LOBBY_SIZE: '7',
      REMOVAL_BAN_MS: '60000',
      CONTROL_BYTES_PER_SECOND: '4096',
      CONTROL_BURST_BYTES: '65536',
    });
    expect(options).toMatchObject({
      lobby: true,
      maxLobbySize: 7,
      removalBanMs: 60000,
      controlBytesPerSecond: 4096,
      controlBurstBytes: 65536,
    });
    expect(optionsFromEnv({ LOBBY: 'off' }).options.lobby).toBe(false);
    expect(() => optionsFromEnv({ LOBBY: 'maybe' })).toThrow(/LOBBY must be on or off/);
    expect(() => resolveOptions({ controlBurstBytes: 1000 })).toThrow(/controlBurstBytes/);
  });

  it('reads NATS credentials and TLS, refusing half-given or ambiguous ones', () => {
    const url = { NATS_URL: 'nats://127.0.0.1:4222' };
    expect(optionsFromEnv({ ...url, NATS_USER: 'relay', NATS_PASS: 'pw' }).options.natsAuth).toEqual({
      user: 'relay',
      pass: 'pw',
    });
    expect(
      optionsFromEnv({ ...url, NATS_CREDS: '/etc/relay.creds', NATS_TLS_CA: '/etc/ca.pem' }).options.natsAuth,
    ).toEqual({
      credsFile: '/etc/relay.creds',
      tlsCaFile: '/etc/ca.pem',
    });
    expect(() => optionsFromEnv({ ...url, NATS_USER: 'relay' })).toThrow(/NATS_USER and NATS_PASS/);
    expect(() => optionsFromEnv({ ...url, NATS_TOKEN: 't', NATS_USER: 'u', NATS_PASS: 'p' })).toThrow(/one of/);
    expect(() => optionsFromEnv({ ...url, NATS_TLS_CERT: '/c.pem' })).toThrow(/NATS_TLS_KEY/);
    expect(() => optionsFromEnv({ NATS_TOKEN: 't' })).toThrow(/NATS_URL is not/);
  });

  it('refuses only one of TLS_CERT and TLS_KEY', () => {
    expect(() => optionsFromEnv({ TLS_CERT: '/x.pem' })).toThrow(/both TLS_CERT and TLS_KEY/);
  });

  it('says which TLS file it cannot read', () => {
    expect(() => optionsFromEnv({ TLS_CERT: '/nonexistent/cert.pem', TLS_KEY: '/nonexistent/key.pem' })).toThrow(
      /TLS_CERT: cannot read/,
    );
  });

  it.each([
    ['PORT', 'eighty'],
    ['MAX_ROOM_SIZE', '-3'],
    ['LOG_LEVEL', 'loud'],
  ])('refuses %s=%s', (name, value) => {
    expect(() => optionsFromEnv({ [name]: value })).toThrow(ConfigError);
  });

  it.each([
    [{ port: 70000 }, /port/],
    [{ maxRoomSize: 0 }, /maxRoomSize/],
    [{ backpressure: { videoDropBytes: 10, audioDropBytes: 5 } }, /backpressure/],
  ])('refuses option %j', (options, message) => {
    expect(() => resolveOptions(options)).toThrow(message);
  });
});
