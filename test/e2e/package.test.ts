// The npm package as a user gets it: `npm pack` (its prepack builds what is stale, the
// declarations and the manifest), the tarball installed into a scratch project under
// the OS temp directory (extracted, its declared dependencies linked: no network), a
// TypeScript file type-checked against it, and the element loaded from it in Chromium.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchChromium, waitFor, type TestBrowser } from './browser.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface PackedFile {
  path: string;
}
interface Manifest {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
  bin: Record<string, string>;
  customElements: string;
  files: string[];
}

let scratch: string;
let installed: string; // scratch/node_modules/videocall-room
let packed: string[];
let manifest: Manifest;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'vc-package-'));
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', scratch], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // prepack's own output precedes npm's JSON.
  const [info] = JSON.parse(out.slice(out.lastIndexOf('\n[') + 1)) as [{ filename: string; files: PackedFile[] }];
  packed = info.files.map((f) => f.path).sort();

  // What `npm install ./videocall-room-x.tgz` lays out, without a registry: the package
  // under node_modules, and each dependency it declares beside it.
  installed = join(scratch, 'node_modules', 'videocall-room');
  mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['-xzf', join(scratch, info.filename), '-C', installed, '--strip-components=1']);
  manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Manifest;
  for (const dep of [...Object.keys(manifest.dependencies), '@types/node']) {
    const link = join(scratch, 'node_modules', dep);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', dep), link, 'dir');
  }
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
}, 1_200_000);

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('contains what a user needs and nothing of the repository’s own', () => {
    for (const file of [
      'package.json',
      'README.md',
      'LICENSE',
      'CHANGELOG.md',
      'custom-elements.json',
      'dist/videocall-room.js',
      'dist/videocall-room.iife.js',
      'dist/room.js',
      'dist/relay.js',
      'dist/server.js',
      'dist/integrity.json',
      'dist/types/src/index.d.ts',
      'dist/types/src/headless.d.ts',
      'dist/types/server/relay.d.ts',
      'dist/types/src/protocol/gen/videocall.d.ts',
      'demo/index.html',
      'bin/videocall-token.mjs',
    ]) {
      expect(packed, file).toContain(file);
    }
    // What each build fetches on demand: the element's chunks, and the headless Room's own.
    for (const dir of ['dist/chunks/', 'dist/room-chunks/']) {
      expect(
        packed.filter((f) => f.startsWith(`${dir}media-crypto-`) && f.endsWith('.js')),
        dir,
      ).toHaveLength(1);
    }
    const foreign = packed.filter((f) => /^(src|server|test|bench|scripts|proto|cli|node_modules|\.ci)\//.test(f));
    expect(foreign).toEqual([]);
    expect(packed.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);

    // Every path the manifest names is in the tarball.
    const named = [
      ...Object.values(manifest.exports).flatMap((e) => (typeof e === 'string' ? [e] : Object.values(e))),
      ...Object.values(manifest.bin),
      manifest.customElements,
    ].map((p) => p.replace(/^\.\//, ''));
    for (const path of named) expect(packed, path).toContain(path);
    expect(readFileSync(join(installed, 'dist', 'server.js'), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(manifest).not.toHaveProperty('private');
  });

  it('publishes declarations without the @internal members', () => {
    const participant = readFileSync(join(installed, 'dist/types/src/call/remote-participant.d.ts'), 'utf8');
    expect(participant).toContain('class RemoteParticipant');
    expect(participant).not.toContain('deliverFrame');
    expect(participant).not.toContain('noteVideoDelay');
  });

  it('records the Subresource Integrity hash of each bundle it ships', () => {
    const list = JSON.parse(readFileSync(join(installed, 'dist', 'integrity.json'), 'utf8')) as Record<string, string>;
    for (const file of ['videocall-room.js', 'videocall-room.iife.js']) {
      const bytes = readFileSync(join(installed, 'dist', file));
      expect(list[file], file).toBe(`sha384-${createHash('sha384').update(bytes).digest('base64')}`);
    }
  });

  it('type-checks a page’s TypeScript against it: attributes, events, methods, the headless Room, the relay', () => {
    writeFileSync(
      join(scratch, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2023', 'DOM', 'DOM.Iterable'],
          types: ['node'],
          strict: true,
          noEmit: true,
          // The package's declarations are checked too, not trusted.
          skipLibCheck: false,
        },
        files: ['page.ts'],
      }),
    );
    writeFileSync(
      join(scratch, 'page.ts'),
      `import 'videocall-room';
import { VideocallRoomElement, VideoCallError, PACKAGE_VERSION, PROTOCOL_VERSION } from 'videocall-room';
import { Room, type ParticipantInfo, type RoomState } from 'videocall-room/room';
import { startRelay, type Relay } from 'videocall-room/relay';

const call = document.createElement('videocall-room');
const same: VideocallRoomElement = call;
call.room = 'standup';
call.name = 'Ada';
call.camera = 'off';
call.e2ee = true;
call.transport = 'websocket';
// @ts-expect-error camera is 'on' or 'off'
call.camera = 'maybe';
call.addEventListener('vc-joined', (e) => {
  const transport: 'websocket' | 'webtransport' = e.transport;
  console.log(e.room, e.sessionId, transport);
});
call.addEventListener('vc-error', (e) => {
  const code: string = e.code;
  const fatal: boolean = e.fatal;
  console.log(code, fatal, e.message);
});
call.addEventListener('vc-participant-joined', (e) => console.log(e.participant.name));
// @ts-expect-error no such property on vc-left
call.addEventListener('vc-left', (e) => e.sessionIdentifier);
const joined: Promise<void> = call.join();
call.leave();
const version: string = call.version + VideocallRoomElement.version + PACKAGE_VERSION;
const people: ParticipantInfo[] = call.participants;
const state: RoomState = call.state;
const protocol: number = PROTOCOL_VERSION;
console.log(same, joined, version, people, state, protocol, VideoCallError);

const room = new Room({ server: 'https://relay.example', room: 'standup', name: 'Ada' });
room.addEventListener('participant-joined', (e) => console.log(e.participant.id));
void room.join();

const relay: Promise<Relay> = startRelay({ port: 0, host: '127.0.0.1' });
void relay.then((r) => r.close());
`,
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    let output = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', join(scratch, 'tsconfig.json')], { cwd: scratch, encoding: 'utf8' });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(output).toBe('');
  }, 300_000);

  describe('in Chromium', () => {
    let chromium: TestBrowser;
    let relay: { url: string; close(): Promise<void> };

    beforeAll(async () => {
      // The relay from the package (its `./relay` export), serving the package's own bundle.
      const page = join(scratch, 'site');
      mkdirSync(page);
      writeFileSync(
        join(page, 'index.html'),
        `<!doctype html><meta charset="utf-8"><title>package</title>
<videocall-room manual room="package-test" name="Ada" camera="off" mic="off"></videocall-room>
<script type="module">
  import { PACKAGE_VERSION, Room } from '/videocall-room.js';
  await customElements.whenDefined('videocall-room');
  const el = document.querySelector('videocall-room');
  await el.updateComplete;
  window.loaded = {
    version: el.version,
    definedVersion: customElements.get('videocall-room').version,
    PACKAGE_VERSION,
    room: typeof Room,
    attributes: customElements.get('videocall-room').observedAttributes,
    rendered: el.shadowRoot.childElementCount,
  };
</script>`,
      );
      // The headless build as a page's own bundler would leave it: room.js and its chunks, side by side.
      writeFileSync(join(page, 'headless.html'), HEADLESS_PAGE);
      cpSync(join(installed, 'dist', 'room.js'), join(page, 'room.js'));
      cpSync(join(installed, 'dist', 'room-chunks'), join(page, 'room-chunks'), { recursive: true });
      const { startRelay } = (await import(pathToFileURL(join(installed, 'dist', 'relay.js')).href)) as {
        startRelay(o: object): Promise<{ url: string; close(): Promise<void> }>;
      };
      relay = await startRelay({ host: '127.0.0.1', port: 0, demoDir: page });
      chromium = await launchChromium();
    });
    afterAll(async () => {
      await chromium?.close();
      await relay?.close();
    });

    it('defines the element from the installed package, with the version and the attributes its manifest lists', async () => {
      const page = await chromium.newPage(`${relay.url}/`);
      const loaded = await waitFor('the element to load', () =>
        page.evaluate(
          () =>
            (window as unknown as { loaded?: Record<string, unknown> }).loaded as
              | {
                  version: string;
                  definedVersion: string;
                  PACKAGE_VERSION: string;
                  room: string;
                  attributes: string[];
                  rendered: number;
                }
              | undefined,
        ),
      );
      expect(loaded.version).toBe(manifest.version);
      expect(loaded.definedVersion).toBe(manifest.version);
      expect(loaded.PACKAGE_VERSION).toBe(manifest.version);
      expect(loaded.room).toBe('function');
      expect(loaded.rendered).toBeGreaterThan(0);

      const cem = JSON.parse(readFileSync(join(installed, manifest.customElements), 'utf8')) as {
        modules: {
          declarations: { tagName?: string; attributes?: { name: string }[]; events?: { name: string }[] }[];
        }[];
      };
      const element = cem.modules.flatMap((m) => m.declarations).find((d) => d.tagName === 'videocall-room');
      expect(element).toBeDefined();
      expect(element!.attributes!.map((a) => a.name).sort()).toEqual([...loaded.attributes].sort());
      expect(element!.events!.map((e) => e.name)).toEqual(expect.arrayContaining(['vc-joined', 'vc-error', 'vc-left']));
    });

    it('runs the headless Room from it: a plain call fetches no chunk, an encrypted one its E2EE chunk, and each side decrypts the other’s camera', async () => {
      const chunksOf = (page: Page) =>
        page.evaluate(() =>
          performance
            .getEntriesByType('resource')
            .map((e) => new URL(e.name).pathname)
            .filter((p) => p.startsWith('/room-chunks/')),
        );
      const plain = await chromium.newPage(`${relay.url}/headless.html?room=headless-plain&name=Ada`);
      await waitFor('the plain Room to join', () => plain.evaluate(() => (window as unknown as Headless).joined));
      expect(await plain.evaluate(() => (window as unknown as Headless).joined)).toEqual({ encryption: 'off' });
      expect(await chunksOf(plain)).toEqual([]);
      await plain.close();

      const pages = [];
      for (const name of ['Ada', 'Grace'])
        pages.push(await chromium.newPage(`${relay.url}/headless.html?room=headless-e2ee&name=${name}&passphrase=tea`));
      for (const page of pages) {
        await waitFor('the encrypted Room to join', () => page.evaluate(() => (window as unknown as Headless).joined));
        expect(await page.evaluate(() => (window as unknown as Headless).joined)).toEqual({ encryption: 'passphrase' });
        // The other's camera, decrypted and decoded here.
        await waitFor(
          'the other camera decoded',
          () => page.evaluate(() => ((window as unknown as Headless).remoteFrames() > 0 ? true : undefined)),
          30_000,
        );
        const fetched = await chunksOf(page);
        expect(fetched.filter((p) => /^\/room-chunks\/media-crypto-[\w-]+\.js$/.test(p))).toHaveLength(1);
        // Nothing of the element's build: its chunks import videocall-room.js, which defines the element.
        expect(await page.evaluate(() => customElements.get('videocall-room'))).toBeUndefined();
      }
    });
  });
});

/** What headless.html exposes. */
interface Headless {
  joined?: { encryption: string };
  remoteFrames(): number;
}

/** A page drawing its own UI: the headless Room from `room.js`; a passphrase in the query encrypts. */
const HEADLESS_PAGE = `<!doctype html><meta charset="utf-8"><title>headless</title>
<script type="module">
  import { Room } from '/room.js';
  const q = new URLSearchParams(location.search);
  const passphrase = q.get('passphrase') ?? undefined;
  const room = new Room({
    server: location.origin,
    room: q.get('room'),
    name: q.get('name'),
    mic: false,
    e2ee: passphrase !== undefined,
    passphrase,
  });
  window.remoteFrames = () => Math.max(0, ...[...room.participants.values()].map((p) => p.framesDecoded));
  await room.join();
  window.joined = { encryption: room.encryption };
</script>`;
