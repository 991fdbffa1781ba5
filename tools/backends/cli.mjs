#!/usr/bin/env node
// node tools/backends/cli.mjs install [kind...]   install server binaries
// node tools/backends/cli.mjs start <kind...>     start, print env vars, run until Ctrl-C
import { install, kinds, start, stop } from './index.mjs';

const [command, ...names] = process.argv.slice(2);
const selected = names.length > 0 ? names : kinds;

if (command === 'install') {
  for (const kind of selected) {
    process.stderr.write(`installing ${kind}...\n`);
    await install(kind);
  }
} else if (command === 'start') {
  if (names.length === 0) {
    console.error(`usage: cli.mjs start <kind...>   (kinds: ${kinds.join(', ')})`);
    process.exit(2);
  }
  try {
    for (const kind of names) {
      const handle = await start(kind);
      for (const [key, value] of Object.entries(handle.env))
        console.log(`export ${key}=${JSON.stringify(value)}`);
    }
  } catch (error) {
    console.error(error.message);
    await stop();
    process.exit(1);
  }
  console.error('# running; Ctrl-C to stop');
  const shutdown = async () => {
    await stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  setInterval(() => {}, 1 << 30);
} else {
  console.error(`usage: cli.mjs install [kind...] | start <kind...>\nkinds: ${kinds.join(', ')}`);
  process.exit(2);
}
