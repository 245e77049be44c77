import { describe, expect, it } from 'vitest';
import { decideIntake } from '../../../functions/domain/email/index.ts';
import { buildCorpus, serialiseIndex } from '../../fixtures/mail/build-corpus.ts';
import { readCorpus } from '../../fixtures/mail/corpus.ts';

const { index, raw } = readCorpus();

describe('intake corpus', () => {
  it('has at least 40 messages', () => {
    expect(index.messages.length).toBeGreaterThanOrEqual(40);
  });

  it('matches what build-corpus.ts builds (run it after changing a case)', () => {
    const built = buildCorpus();
    expect(readCorpus().index).toEqual(JSON.parse(serialiseIndex(built.index)));
    for (const [file, bytes] of built.files) expect(Buffer.compare(raw(file), bytes), file).toBe(0);
  });

  it.each(index.messages.map((entry) => [entry.file, entry] as const))('%s', async (file, entry) => {
    const decision = await decideIntake(raw(file), entry.verdicts, index.context);
    const expected = entry.expect;
    expect(decision.kind, entry.description).toBe(expected.kind);
    switch (expected.kind) {
      case 'request': {
        if (decision.kind !== 'request') return;
        expect({
          types: decision.types,
          triage: decision.triage,
          triageReason: decision.triageReason,
          language: decision.language,
          authFailures: decision.authFailures,
        }).toEqual({
          types: expected.types,
          triage: expected.triage,
          triageReason: expected.triageReason,
          language: expected.language,
          authFailures: expected.authFailures ?? [],
        });
        if (expected.sender !== undefined) expect(decision.sender).toBe(expected.sender);
        if (expected.senderName !== undefined) expect(decision.senderName).toBe(expected.senderName);
        if (expected.subject !== undefined) expect(decision.subject).toBe(expected.subject);
        if (expected.attachments !== undefined) {
          expect(
            decision.attachments.map((attachment) => ({
              filename: attachment.filename,
              size: attachment.size,
              kept: attachment.content?.byteLength === attachment.size,
            })),
          ).toEqual(expected.attachments);
        }
        break;
      }
      case 'reply':
        if (decision.kind !== 'reply') return;
        expect(decision.reference).toBe(expected.reference);
        expect(decision.authFailures).toEqual(expected.authFailures ?? []);
        if (expected.sender !== undefined) expect(decision.sender).toBe(expected.sender);
        break;
      case 'drop':
      case 'reject':
        if (decision.kind !== expected.kind) return;
        expect(decision.reason).toBe(expected.reason);
        break;
    }
  });
});
