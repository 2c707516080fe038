#!/usr/bin/env node
// Mints an access token for a videocall-room relay, for testing and scripts.
// A site's backend signs its own (see the README); this is the same few lines.
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';

const usage = `Usage: videocall-token --room <name|*> --sub <identity> [options]

  --room <name>        room the token admits to, or "*" for any room (required)
  --sub <identity>     who the bearer is, as others see it (required)
  --name <text>        display name (default: the identity)
  --ttl <seconds>      lifetime (default 3600)
  --nbf <seconds>      not valid before now + this many seconds (default 0)
  --publish <list>     "all", "none" or a comma list of audio,video,screen (default all)
  --no-subscribe       receive no media
  --no-chat            no chat
  --admin              moderation rights
  --hidden             a recorder or bot nobody sees (publishes nothing)
  --lobby              wait in the room's lobby until an admin admits the bearer
  --secret <text>      HS256 secret (default $AUTH_SECRET)
  --key <file>         ES256 or EdDSA private key, PEM (instead of a secret)

Prints the token. The relay checks it with AUTH_SECRET, or AUTH_PUBLIC_KEY for --key.`;

let args;
try {
  args = parseArgs({
    options: {
      room: { type: 'string' },
      sub: { type: 'string' },
      name: { type: 'string' },
      ttl: { type: 'string', default: '3600' },
      nbf: { type: 'string', default: '0' },
      publish: { type: 'string', default: 'all' },
      'no-subscribe': { type: 'boolean', default: false },
      'no-chat': { type: 'boolean', default: false },
      admin: { type: 'boolean', default: false },
      hidden: { type: 'boolean', default: false },
      lobby: { type: 'boolean', default: false },
      secret: { type: 'string' },
      key: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values;
} catch (err) {
  fail(err.message);
}
if (args.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
if (!args.room || !args.sub) fail('--room and --sub are required');
const ttl = Number(args.ttl);
const nbf = Number(args.nbf);
if (!Number.isInteger(ttl) || ttl <= 0) fail('--ttl must be a whole number of seconds above 0');
if (!Number.isInteger(nbf) || nbf < 0) fail('--nbf must be a whole number of seconds, 0 or more');

let publish;
if (args.publish === 'all') publish = true;
else if (args.publish === 'none') publish = false;
else {
  publish = args.publish.split(',').map((s) => s.trim());
  const bad = publish.filter((k) => !['audio', 'video', 'screen'].includes(k));
  if (bad.length > 0) fail(`--publish: unknown kind ${bad.join(', ')}`);
}

const now = Math.floor(Date.now() / 1000);
const claims = {
  room: args.room,
  sub: args.sub,
  ...(args.name ? { name: args.name } : {}),
  grants: {
    publish,
    subscribe: !args['no-subscribe'],
    chat: !args['no-chat'],
    admin: args.admin,
    hidden: args.hidden,
    ...(args.lobby ? { lobby: true } : {}),
  },
};
const jwt = new SignJWT(claims)
  .setIssuedAt(now)
  .setNotBefore(now + nbf)
  .setExpirationTime(now + ttl);

let token;
if (args.key) {
  const key = createPrivateKey(readFileSync(args.key));
  const alg = key.asymmetricKeyType === 'ed25519' ? 'EdDSA' : key.asymmetricKeyType === 'ec' ? 'ES256' : undefined;
  if (!alg) fail('--key must be an EC P-256 (ES256) or Ed25519 (EdDSA) private key');
  token = await jwt.setProtectedHeader({ alg }).sign(key);
} else {
  const secret = args.secret ?? process.env.AUTH_SECRET;
  if (!secret) fail('give --secret, set AUTH_SECRET, or give --key');
  token = await jwt.setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));
}
process.stdout.write(`${token}\n`);

function fail(message) {
  console.error(`videocall-token: ${message}\n\n${usage}`);
  process.exit(2);
}
