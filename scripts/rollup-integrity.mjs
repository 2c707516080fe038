// Rollup output plugin: records each emitted chunk's Subresource Integrity hash (sha384)
// in dist/integrity.json, so a page can pin the relay's versioned URL with
// `integrity="sha384-…"` (README) and the relay can serve the same list.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function sriOf(code) {
  return `sha384-${createHash('sha384').update(code).digest('base64')}`;
}

export function integrity() {
  return {
    name: 'integrity',
    writeBundle(options, bundle) {
      const dir = options.dir ?? dirname(options.file);
      const file = join(dir, 'integrity.json');
      let list = {};
      try {
        list = JSON.parse(readFileSync(file, 'utf8'));
      } catch {
        // First output of this build: start the list.
      }
      for (const chunk of Object.values(bundle)) {
        if (chunk.type === 'chunk') list[chunk.fileName] = sriOf(chunk.code);
      }
      writeFileSync(file, JSON.stringify(list, null, 2) + '\n');
    },
  };
}
