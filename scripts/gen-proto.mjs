// Generates src/protocol/gen/videocall.ts from proto/videocall.proto: for each message
// its field table for the table-driven codec in src/protocol/wire-codec.ts, and its
// TypeScript shapes, named and shaped as protobufjs' static code was (`videocall.Envelope`,
// `videocall.Join.$Properties`, `$Shape` unions for oneofs, enums as TS enums), so the
// code that uses them did not change. protobufjs (a devDependency) only parses the .proto.
// A field, message or enum added to the .proto needs nothing but `npm run gen`.
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const proto = join(root, 'proto', 'videocall.proto');
const out = join(root, 'src', 'protocol', 'gen');
const target = join(out, 'videocall.ts');

// What protobufjs' pbjs/pbts wrote here before: bundlers would resolve './gen/videocall.js' to it.
for (const stale of ['videocall.js', 'videocall.d.ts']) rmSync(join(out, stale), { force: true });

// Up to date (output newer than the .proto and this script): nothing to do, so
// `npm run build` and `npm start` don't pay for it on every run. `--force` regenerates.
const mtime = (file) => statSync(file).mtimeMs;
const upToDate =
  !process.argv.includes('--force') &&
  existsSync(target) &&
  mtime(target) >= Math.max(mtime(proto), mtime(fileURLToPath(import.meta.url)));
if (upToDate) process.exit(0);

// Kinds as src/protocol/wire-codec.ts numbers them (`T`).
const KIND = {
  string: 0,
  bytes: 1,
  bool: 2,
  int32: 3,
  uint32: 4,
  sint32: 5,
  int64: 6,
  uint64: 7,
  sint64: 8,
  fixed32: 9,
  sfixed32: 10,
  fixed64: 11,
  sfixed64: 12,
  float: 13,
  double: 14,
};
const MESSAGE = 15;
const TS_SCALAR = { string: 'string', bytes: 'Uint8Array', bool: 'boolean' };
// Flags as wire-codec.ts's `F`.
const REPEATED = 1;
const PACKED = 2;
const PRESENCE = 4;

const parsed = protobuf.parse(readFileSync(proto, 'utf8'), { keepCase: false });
if (parsed.package !== 'videocall') throw new Error(`expected package videocall, found ${parsed.package}`);
parsed.root.resolveAll();
const ns = parsed.root.lookup('videocall');

const messages = [];
const enums = [];
for (const nested of ns.nestedArray) {
  if (nested instanceof protobuf.Type) messages.push(nested);
  else if (nested instanceof protobuf.Enum) enums.push(nested);
  else throw new Error(`${nested.fullName}: only messages and enums are supported at the top level`);
}
for (const type of messages)
  if (type.nestedArray.length)
    throw new Error(`${type.fullName}: nested types are not supported; declare them at the top level`);

const q = (name) => `videocall.${name}`;

/** The TS type of one value of `field`; `shape`: nested messages as their `$Shape`. */
function valueType(field, shape) {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return q(`${resolved.name}.${shape ? '$Shape' : '$Properties'}`);
  if (resolved instanceof protobuf.Enum) return q(resolved.name);
  if (field.type in TS_SCALAR) return TS_SCALAR[field.type];
  if (field.type in KIND) return 'number';
  throw new Error(`${field.parent.fullName}.${field.name}: unsupported type ${field.type}`);
}

function tableEntry(field) {
  if (field.map) throw new Error(`${field.parent.fullName}.${field.name}: map fields are not supported`);
  const resolved = field.resolvedType;
  const kind =
    resolved instanceof protobuf.Type ? MESSAGE : resolved instanceof protobuf.Enum ? KIND.int32 : KIND[field.type];
  if (kind === undefined) throw new Error(`${field.parent.fullName}.${field.name}: unsupported type ${field.type}`);
  let flags = 0;
  if (field.repeated) flags |= REPEATED;
  if (field.repeated && field.packed && kind !== MESSAGE && kind > KIND.bytes) flags |= PACKED;
  if (field.partOf) flags |= PRESENCE;
  const parts = [field.id, JSON.stringify(field.name), kind];
  const sub = resolved instanceof protobuf.Type ? `() => ${resolved.name}` : '0';
  if (flags || sub !== '0' || field.partOf) parts.push(flags);
  if (sub !== '0' || field.partOf) parts.push(sub);
  if (field.partOf) parts.push(JSON.stringify(field.partOf.name));
  return `[${parts.join(', ')}]`;
}

function messageCode(type) {
  const n = type.name;
  const fields = type.fieldsArray;
  const oneofs = type.oneofsArray;
  const members = (o) => o.fieldsArray.map((f) => JSON.stringify(f.name)).join('|');
  const lines = [];
  lines.push(`  export interface I${n} extends ${q(n)}.$Properties {}`);
  lines.push(`  /** A decoded \`${n}\`: absent fields at their defaults. */`);
  lines.push(`  export interface ${n} {`);
  for (const f of fields) {
    const t = valueType(f, false);
    if (f.repeated) lines.push(`    ${f.name}: ${t}[];`);
    else if (f.resolvedType instanceof protobuf.Type || f.partOf) lines.push(`    ${f.name}?: (${t}|null);`);
    else lines.push(`    ${f.name}: ${t};`);
  }
  for (const o of oneofs) lines.push(`    ${o.name}?: (${members(o)});`);
  lines.push('  }');
  lines.push(`  export namespace ${n} {`);
  lines.push('    export interface $Properties {');
  for (const f of fields) lines.push(`      ${f.name}?: (${valueType(f, false)}${f.repeated ? '[]' : ''}|null);`);
  for (const o of oneofs) lines.push(`      ${o.name}?: (${members(o)});`);
  lines.push('    }');
  if (!oneofs.length) lines.push(`    export type $Shape = ${q(n)}.$Properties;`);
  else {
    const base = fields.map((f) => `${f.name}?: ${valueType(f, true)}${f.repeated ? '[]' : ''}|null;`).join(' ');
    const unions = oneofs.map((o) => {
      const nulls = (except) =>
        o.fieldsArray
          .filter((f) => f !== except)
          .map((f) => ` ${f.name}?: null;`)
          .join('');
      const variants = [`{ ${o.name}?: undefined;${nulls(null)} }`].concat(
        o.fieldsArray.map((f) => `{ ${o.name}?: "${f.name}"; ${f.name}: ${valueType(f, true)};${nulls(f)} }`),
      );
      return `(${variants.join('|')})`;
    });
    lines.push(`    export type $Shape = { ${base} } & ${unions.join(' & ')};`);
  }
  lines.push('  }');
  lines.push(
    `  export const ${n}: MessageCodec<${q(n)}.$Properties, ${q(n)} & ${q(n)}.$Shape> = message([\n` +
      fields.map((f) => `    ${tableEntry(f)},\n`).join('') +
      '  ]);',
  );
  return lines.join('\n');
}

function enumCode(e) {
  const values = Object.entries(e.values).map(([name, value]) => `    ${name} = ${value},`);
  return [`  export enum ${e.name} {`, ...values, '  }'].join('\n');
}

const code = [
  '// Generated by scripts/gen-proto.mjs from proto/videocall.proto: do not edit, run `npm run gen`.',
  '// Field tables: [number, name, kind (wire-codec.ts `T`), flags (`F`), message, oneof].',
  "import { message, type MessageCodec } from '../wire-codec.js';",
  '',
  'export namespace videocall {',
  ...enums.map(enumCode),
  ...messages.map(messageCode),
  '}',
  '',
].join('\n');

mkdirSync(out, { recursive: true });
writeFileSync(target, code);
