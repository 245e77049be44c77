/**
 * Runs in a worker thread with a bounded heap (see test/unit/email/parse-bounds.test.ts): decides one message, as
 * intake's sandbox would with its MemorySize, and posts the decision's kind, types and text back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { decideIntake } from '../../functions/domain/email/index.ts';

const { raw, context } = workerData as { raw: Uint8Array; context: Parameters<typeof decideIntake>[2] };
const decision = await decideIntake(raw, { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'GRAY', dmarc: 'GRAY' }, context);
parentPort!.postMessage({ kind: decision.kind, types: 'types' in decision ? decision.types : undefined, text: 'text' in decision ? decision.text : undefined, attachments: 'attachments' in decision ? decision.attachments.map((a) => a.size) : undefined });
