import { Command, Option } from 'commander';
import { availabilityCommand } from './commands/availability.js';
import { demoCommand } from './commands/demo.js';
import { locationsCommand } from './commands/locations.js';
import { lsCommand } from './commands/ls.js';
import { publishCommand } from './commands/publish.js';
import { removeCommand } from './commands/remove.js';
import { serveCommand } from './commands/serve.js';
import { transferCommand } from './commands/transfer.js';
import { verifyCommand } from './commands/verify.js';
import { type GlobalOptions, withSession } from './context.js';

/** Exit codes: 0 ok, 1 error, 2 usage, 3 verify found problems, 130 interrupted. */
export function buildProgram(signal: AbortSignal, setExitCode: (code: number) => void): Command {
  const program = new Command('stowage')
    .description('Publish, move and check files and image sequences across storage locations.')
    .option(
      '-c, --config <file>',
      'config file (default: stowage.config.{json,yaml,mjs} or the embedded default)',
    )
    .option('--json', 'machine-readable output')
    .option('-q, --quiet', 'no progress output')
    .showHelpAfterError('(run stowage --help for usage)')
    .exitOverride();

  const globals = (): GlobalOptions => program.opts<GlobalOptions>();

  program
    .command('locations')
    .description('list the configured locations')
    .action(() => withSession(globals(), signal, locationsCommand));

  program
    .command('publish')
    .description("publish a file, a folder, or a sequence ('plate.%04d.exr [1-100]') into a location")
    .argument(
      '<path>',
      "a file, a folder (container) or a sequence expression such as 'seq.%04d.exr [1-100]'",
    )
    .option('-l, --location <name>', 'target location (default: picked by priority)')
    .option('-n, --name <name>', "component name (default 'main', or the folder name)")
    .option('--version-context <path>', 'project/[ancestors/]asset/v001, for the standard structure')
    .option('--concurrency <n>', 'files transferred at once', '4')
    .option('--no-resume', 'send every byte again instead of resuming an interrupted upload')
    .option('--checksums', 'hash (MD5) every file copied and register it, for `verify --checksums`')
    .action((path: string, options) =>
      withSession(globals(), signal, (context) => publishCommand(context, path, options)),
    );

  program
    .command('transfer')
    .description('copy a component to another location')
    .argument('<componentId>')
    .requiredOption('--to <location>', 'target location')
    .option('--from <location>', 'source location (default: the best one where it is 100% available)')
    .option('--concurrency <n>', 'files transferred at once', '4')
    .option('--no-resume', 'send every byte again instead of resuming an interrupted upload')
    .option('--checksums', 'hash (MD5) every file copied and register it, for `verify --checksums`')
    .action((id: string, options) =>
      withSession(globals(), signal, (context) => transferCommand(context, id, options)),
    );

  program
    .command('availability')
    .description('availability of a component per location, with missing frames for sequences')
    .argument('<componentId>')
    .action((id: string) => withSession(globals(), signal, (context) => availabilityCommand(context, id)));

  program
    .command('ls')
    .description('list a container in a location')
    .argument('<location>')
    .argument('[resourceIdentifier]', 'container to list', '')
    .action((location: string, ri: string) =>
      withSession(globals(), signal, (context) => lsCommand(context, location, ri)),
    );

  program
    .command('verify')
    .description(
      're-read storage and report missing or corrupt (wrong size, or wrong MD5 with --checksums) files',
    )
    .argument('<componentId>')
    .requiredOption('-l, --location <name>', 'location to verify')
    .addOption(new Option('--no-sizes', 'only check presence (one listing per folder)'))
    .addOption(
      new Option(
        '--checksums',
        're-read every file and compare its MD5 with the one recorded when it was written',
      ),
    )
    .action(async (id: string, options) => {
      setExitCode(await withSession(globals(), signal, (context) => verifyCommand(context, id, options)));
    });

  program
    .command('remove')
    .description('remove a component (data and registration) from a location')
    .argument('<componentId>')
    .requiredOption('-l, --location <name>', 'location to remove it from')
    .action((id: string, options) =>
      withSession(globals(), signal, (context) => removeCommand(context, id, options)),
    );

  program
    .command('serve')
    .description('run the Stowage file server (the server location backend)')
    .option('--port <port>', 'port', '8080')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--root <dir>', 'storage folder', './.stowage/file-server')
    .action((options) => serveCommand(options, signal));

  program
    .command('demo')
    .description('publish the fixtures, transfer them, and show availability (a tour in ./.stowage-demo)')
    .option('--dir <dir>', 'working folder (recreated)', '.stowage-demo')
    .option('--fixtures <dir>', 'fixtures folder (default: the repository test-fixtures)')
    .action((options) => demoCommand(options, signal, globals().json));

  return program;
}
