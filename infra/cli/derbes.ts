import { DerbesError } from '../../functions/domain/errors.ts';
import { dueCommand } from './commands/due.ts';
import { startCommand } from './commands/start.ts';

const USAGE = `derbes — answer data-subject requests on time, provably

Usage:
  derbes start                       run the whole system locally (see README for its settings)
  derbes due --jurisdiction KZ --type access --received <ISO time> [--json]
                                     the due date of a request and the rule that sets it
`;

type Io = { out: (line: string) => void; err: (line: string) => void };
const commands: Record<string, (args: string[], io: Io) => Promise<number>> = { start: startCommand, due: dueCommand };

const io: Io = { out: (line) => console.log(line), err: (line) => console.error(line) };
const [name, ...args] = process.argv.slice(2);
const command = name ? commands[name] : undefined;
if (!command) {
  io.err(name && name !== 'help' && name !== '--help' ? `unknown command: ${name}\n\n${USAGE}` : USAGE);
  process.exitCode = name === 'help' || name === '--help' ? 0 : 2;
} else {
  try {
    process.exitCode = await command(args, io);
  } catch (error) {
    // Configuration and start-up problems are the user's to fix: say what, not where in our code.
    io.err(error instanceof DerbesError || (error as Error).name === 'MissingJavaError' ? `derbes: ${(error as Error).message}` : String((error as Error).stack));
    process.exitCode = 1;
  }
}
