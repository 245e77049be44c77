import { DerbesError } from '../../functions/domain/errors.ts';
import { visible } from './terminal.ts';

const USAGE = `derbes — answer data-subject requests on time, provably

Usage:
  derbes start                       run the whole system locally (see README for its settings)
  derbes due --jurisdiction KZ --type access --received <ISO time> [--json]
                                     the due date of a request and the rule that sets it
  derbes requests [list | show <reference> | write <reference> --text "…" | note <reference> --text "…"
                   | extend <reference> --reason "…" | resume <reference> | done <reference> <open work id>
                   | attachment <reference> <key> --out <file> | raw-mail <reference> <raw mail id> --out <file>] [--json]
                                     open requests by due date (at risk / overdue / needs attention) and open work,
                                     one with its audit trail, a message to the person (mailed) or a note (kept),
                                     an extension where the rule allows one (the person is told why), running a
                                     failed step again once its cause is fixed, closing open work, or saving a
                                     file the person sent or their mail whole (keys and ids as \`show\` lists them)
  derbes decisions list | approve <reference> [--answer "…"] [--change field=value]… [--type t]…
                   | deny <reference> --reason "…" --basis "…" | not-a-request <reference> [--text "…"]
                                     requests waiting for an operator, and deciding them (unclear mail that is
                                     no request closed as such, your words, if any, mailed to the person)
  derbes breaches list | record … | show <ref> | affected <ref> … | notice <ref> … | filed <ref> … | mail <ref> …
                                     the breach register: notice due times, the notice to the authority (ru/kk,
                                     text and PDF), filing, affected people and the mail to them (derbes breaches help)
  derbes evidence verify DRB-…|BRC-…|--all [--json]
                                     recomputes audit trails' hash chains: "verified: N events, anchored
                                     <date>", or the first changed, removed or reordered event (exit 1)
  derbes evidence pack DRB-… --out file.pdf [--lang ru|kk|en]
                                     a request's evidence pack for the authority (PDF; --out - prints text)
  derbes report --from YYYY-MM-DD --to YYYY-MM-DD [--json|--csv] [--svg chart.svg]
                                     requests received in a period: by type and channel, answered on time or
                                     late, open, working days to answer (median, 95th percentile), extensions,
                                     refusals by basis, verification abandoned, processors told
  derbes operators add <email> --role viewer|decider|admin | list | remove <email>
                                     the people who sign in to the console (add prints their one-time password)
  derbes mail redrive --queue <FailedInvocationsQueueUrl> --function <IntakeFunctionName>
                                     in AWS, the failed-invocations queue: hand mail whose intake failed (after
                                     Lambda's retries) to intake again, delete failed scheduled runs (their next
                                     run repeats them), leave what it does not recognise and name it (exit 1)
  derbes mail held [list] [--json] | download <id> --out <file> | admit <id> | dismiss <id>
                                     mail intake held (no check vouched for its sender, or past the mail limits),
                                     the latest first; saving one whole, as it arrived; making one a request (its
                                     deadline from when it arrived), or dismissing it
  derbes retention plan [<source>] | approve <source> | hold <reference> --basis "…" | release <reference>
                                     what the scheduled purge would erase, by source and count (no personal
                                     data), approving a new or changed rule before its first real run, and
                                     keeping one request's own records past their term (a legal hold), or no longer
Operator commands talk to DERBES_API_URL (default http://localhost:$PORT, PORT 3000) with DERBES_OPERATOR_KEY
(locally, when unset, the key in DATA_DIR/secrets.json; DATA_DIR ./.derbes).
`;

type Io = { out: (line: string) => void; err: (line: string) => void };
type Command = (args: string[], io: Io) => Promise<number>;
// Loaded on demand: `derbes due` should not start loading the local runtime's servers.
const commands: Record<string, () => Promise<Command>> = {
  start: async () => (await import('./commands/start.ts')).startCommand,
  due: async () => (await import('./commands/due.ts')).dueCommand,
  requests: async () => (await import('./commands/operator.ts')).requestsCommand,
  decisions: async () => (await import('./commands/operator.ts')).decisionsCommand,
  breaches: async () => (await import('./commands/breaches.ts')).breachesCommand,
  evidence: async () => (await import('./commands/evidence.ts')).evidenceCommand,
  mail: async () => (await import('./commands/mail.ts')).mailCommand,
  operators: async () => (await import('./commands/operators.ts')).operatorsCommand,
  retention: async () => (await import('./commands/retention.ts')).retentionCommand,
  report: async () => (await import('./commands/report.ts')).reportCommand,
};

// A reader that stopped reading (`derbes due … | head -2`) ends the command quietly, as other command-line tools end;
// any other failure to write is still thrown.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});
// Every line goes through `visible`: much of what is printed was typed by people outside the company.
const io: Io = { out: (line) => console.log(visible(line)), err: (line) => console.error(visible(line)) };
const [name, ...args] = process.argv.slice(2);
const load = name ? commands[name] : undefined;
if (!load) {
  io.err(name && name !== 'help' && name !== '--help' ? `unknown command: ${name}\n\n${USAGE}` : USAGE);
  process.exitCode = name === 'help' || name === '--help' ? 0 : 2;
} else {
  try {
    process.exitCode = await (await load())(args, io);
  } catch (error) {
    // Say what is wrong; the stack only when asked (DEBUG=derbes), since these are usually the user's to fix.
    const message = (error as Error).cause ? `${(error as Error).message} (${String(((error as Error).cause as Error).message ?? (error as Error).cause)})` : (error as Error).message;
    io.err(`derbes: ${message}`);
    if (process.env.DEBUG?.includes('derbes') && !(error instanceof DerbesError)) io.err(String((error as Error).stack));
    process.exitCode = 1;
  }
}
