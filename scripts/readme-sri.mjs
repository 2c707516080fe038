// Writes the versioned embed snippet, with its Subresource Integrity hashes from
// dist/integrity.json (made by the build), between the sri markers in README.md.
// `npm version` runs it (the `version` script), so each release's README pins that release.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const hashes = JSON.parse(readFileSync(join(root, 'dist', 'integrity.json'), 'utf8'));
const begin = '<!-- sri:begin -->';
const end = '<!-- sri:end -->';

const snippet = `${begin}
\`\`\`html
<script type="module" src="https://relay.example/v${version}/videocall-room.js"
        integrity="${hashes['videocall-room.js']}" crossorigin="anonymous"></script>
<!-- or, where modules can't be used: -->
<script src="https://relay.example/v${version}/videocall-room.iife.js"
        integrity="${hashes['videocall-room.iife.js']}" crossorigin="anonymous"></script>
\`\`\`
${end}`;

const readmePath = join(root, 'README.md');
const readme = readFileSync(readmePath, 'utf8');
const from = readme.indexOf(begin);
const to = readme.indexOf(end);
if (from < 0 || to < from) throw new Error(`README.md has no ${begin} … ${end} block`);
writeFileSync(readmePath, readme.slice(0, from) + snippet + readme.slice(to + end.length));
console.log(`README.md: SRI for v${version}`);
