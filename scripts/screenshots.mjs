// `npm run screenshots`: the README's pictures. Starts the built relay (dist/server.js) on a
// free loopback port, fills one room with demo pages in headless Chromium (fake camera) and
// `videocall-cli stream --test-pattern` participants, and writes docs/screenshots/*.png.
// Needs `npm run build`, /usr/bin/chromium and ffmpeg. Every wait is bounded.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'docs', 'screenshots');
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1].split(',') : null;
mkdirSync(out, { recursive: true });

const children = [];
process.on('exit', () => children.forEach((child) => child.kill('SIGINT')));

/** A free loopback port: the relay needs one it can also use for WebTransport. */
async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startRelay() {
  const port = await freePort();
  const relay = spawn(process.execPath, [join(root, 'dist', 'server.js')], {
    cwd: root,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(relay);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return url;
    await sleep(100);
  }
  throw new Error('the relay did not answer within 10 s');
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A CLI participant sending a small test pattern (cheap to encode) until the script ends. */
function cliParticipant(server, room, name) {
  const child = spawn(
    process.execPath,
    [
      join(root, 'bin', 'videocall-cli.mjs'),
      'stream',
      '--server',
      server,
      '--room',
      room,
      '--name',
      name,
      '--test-pattern',
      '--size',
      '320x180',
      '--fps',
      '10',
      '--quiet',
    ],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  children.push(child);
  return child;
}

const relayUrl = await startRelay();
const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'vc-shots-')), {
  executablePath: '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--headless=new',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--use-fake-device-for-media-stream=fps=30',
    '--use-fake-ui-for-media-stream',
    '--autoplay-policy=no-user-gesture-required',
    '--auto-select-desktop-capture-source=Entire screen',
    // Background pages keep sending at full rate, as people on other machines would.
    '--disable-background-timer-throttling',
    '--disable-renderer-backgrounding',
  ],
  viewport: { width: 1280, height: 800 },
  colorScheme: 'dark',
});
children.push({ kill: () => context.close().catch(() => undefined) });

const room = `tour-${Date.now().toString(36)}`;
const page = (query) => {
  const url = `${relayUrl}/?${new URLSearchParams(query)}`;
  return context.newPage().then(async (p) => {
    await p.goto(url);
    return p;
  });
};

/** Waits (bounded) until the element on `p` draws `count` remote participants with pictures. */
async function waitForTiles(p, count, timeoutMs = 30_000) {
  await p.waitForFunction(
    (n) => {
      const el = document.querySelector('videocall-room');
      return el?.state === 'joined' && el.participants.filter((x) => x.framesDecoded > 0).length >= n;
    },
    count,
    { timeout: timeoutMs, polling: 250 },
  );
}

async function shoot(p, name, settleMs = 1500) {
  if (only && !only.includes(name)) return;
  await p.bringToFront();
  await sleep(settleMs);
  await p.screenshot({ path: join(out, `${name}.png`) });
  console.log(`docs/screenshots/${name}.png`);
}

const click = (p, part) => p.locator(`videocall-room [part~="${part}"]`).first().click();

const ada = await page({ room, name: 'Ada' });
await ada.waitForFunction(() => document.querySelector('videocall-room')?.state === 'joined', null, {
  timeout: 30_000,
});
await shoot(ada, '1-participant', 2500);

const grace = await page({ room, name: 'Grace' });
await waitForTiles(ada, 1);
await shoot(ada, '2-participants');

// Chat: Grace writes, Ada opens the panel and answers.
await grace.evaluate(() => document.querySelector('videocall-room').sendMessage('Slides are up, can you see them?'));
await click(ada, 'chat-button');
await ada.locator('videocall-room [part~="chat-input"]').fill('Yes, all good!');
await ada.locator('videocall-room [part~="chat-input"]').press('Enter');
await shoot(ada, 'chat-open');
await click(ada, 'chat-button');

for (const name of ['Linus', 'Margaret']) cliParticipant(relayUrl, room, name);
await waitForTiles(ada, 3);
await shoot(ada, '4-participants');

for (const name of ['Barbara', 'Dennis', 'Radia', 'Ken', 'Frances']) cliParticipant(relayUrl, room, name);
await waitForTiles(ada, 8, 45_000);
await shoot(ada, '9-participants', 2500);

await click(ada, 'people-button').catch(() => undefined);
await shoot(ada, 'people-open');
await click(ada, 'people-button').catch(() => undefined);

// Screen share in the speaker layout, with the others in the strip. Headless Chromium's "entire
// screen" is black, so Grace's screen is a canvas of slides (the element shares whatever
// getDisplayMedia gives it; only the picture is made up).
await grace.evaluate(() => {
  const canvas = Object.assign(document.createElement('canvas'), { width: 1280, height: 720 });
  const g = canvas.getContext('2d');
  const draw = () => {
    g.fillStyle = '#fff';
    g.fillRect(0, 0, 1280, 720);
    g.fillStyle = '#2457d6';
    g.font = 'bold 64px system-ui, sans-serif';
    g.fillText('Quarterly review', 80, 140);
    g.fillStyle = '#1d2433';
    g.font = '40px system-ui, sans-serif';
    ['Calls in any page: one script tag', 'End-to-end encrypted (SFrame)', 'Rooms of hundreds over NATS'].forEach(
      (line, i) => g.fillText(`•  ${line}`, 100, 260 + i * 80),
    );
    g.fillStyle = '#e8eefc';
    g.fillRect(80, 520, 1120, 120);
    g.fillStyle = '#2457d6';
    g.fillText(`Next: ${new Date().toLocaleTimeString('en-GB')}`, 110, 595);
  };
  draw();
  setInterval(draw, 200);
  navigator.mediaDevices.getDisplayMedia = async () => canvas.captureStream(5);
});
await grace.evaluate(() => document.querySelector('videocall-room').startScreenShare());
await ada.evaluate(() => document.querySelector('videocall-room').setAttribute('layout', 'speaker'));
await ada.waitForFunction(
  () => document.querySelector('videocall-room').participants.some((p) => p.screenWidth > 0),
  null,
  { timeout: 30_000, polling: 250 },
);
await shoot(ada, 'screen-share', 3000);
await grace.evaluate(() => document.querySelector('videocall-room').stopScreenShare());
await ada.evaluate(() => document.querySelector('videocall-room').setAttribute('layout', 'grid'));
for (const child of children.splice(2)) child.kill('SIGINT');
await sleep(1500);

await click(ada, 'settings-button');
await click(ada, 'stats-button');
await ada.locator('videocall-room [part~="stats-panel"]').first().waitFor({ timeout: 10_000 });
await shoot(ada, 'stats-panel', 2500);
await ada.keyboard.press('Escape');

await ada.evaluate(() => document.querySelector('videocall-room').setAttribute('theme', 'light'));
await shoot(ada, 'light-theme');
await ada.evaluate(() => document.querySelector('videocall-room').setAttribute('theme', 'dark'));
await shoot(ada, 'dark-theme');
await ada.evaluate(() => document.querySelector('videocall-room').setAttribute('lang', 'it'));
await shoot(ada, 'italian');

const newcomer = await page({ room, name: 'Alan', prejoin: '' });
await newcomer
  .locator('videocall-room [part~="prejoin"]')
  .first()
  .waitFor({ timeout: 15_000 })
  .catch(() => undefined);
await shoot(newcomer, 'prejoin', 2000);

await context.close();
process.exit(0);
