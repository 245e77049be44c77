import { DerbesError } from '../../functions/domain/errors.ts';

const USAGE = `derbes — answer data-subject requests on time, provably

Usage:
  derbes start                       run the whole system locally (see README for its settings)
  derbes due --jurisdiction KZ --type access --received <ISO time> [--json]
                                     the due date of a request and the rule that sets it
`;

type Io = { out: (line: string) => void; err: (line: string) => void };
type Command = (args: string[], io: Io) => Promise<number>;
// Loaded on demand: `derbes due` should not start loading the local runtime's servers.
const commands: Record<string, () => Promise<Command>> = {
  start: async () => (await import('./commands/start.ts')).startCommand,
  due: async () => (await import('./commands/due.ts')).dueCommand,
};

const io: Io = { out: (line) => console.log(line), err: (line) => console.error(line) };
const [name, ...args] = process.argv.slice(2);
const load = name ? commands[name] : undefined;
if (!load) {
  io.err(name && name !== 'help' && name !== '--help' ? `unknown command: ${name}\n\n${USAGE}` : USAGE);
  process.exitCode = name === 'help' || name === '--help' ? 0 : 2;
} else {
  try {
    process.exitCode = await (await load())(args, io);
  } catch (error) {
    // Configuration and start-up problems are the user's to fix: say what, not where in our code.
    io.err(error instanceof DerbesError || (error as Error).name === 'MissingJavaError' ? `derbes: ${(error as Error).message}` : String((error as Error).stack));
    process.exitCode = 1;
  }
}
