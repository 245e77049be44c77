import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../functions/domain/errors.ts';
import { parsePayload, requestIdPayload } from '../../functions/handlers/workflow/payload.ts';

describe("a workflow step's payload", () => {
  it('is checked against its schema, built on the first call: a wiring mistake names the step and the field', () => {
    expect(parsePayload(requestIdPayload, { requestId: 'DRB-AAAAA-BBBBB', extra: 1 }, 'answer')).toEqual({ requestId: 'DRB-AAAAA-BBBBB' });
    expect(() => parsePayload(requestIdPayload, { request: 'DRB-AAAAA-BBBBB' }, 'answer')).toThrow(ValidationError);
    expect(() => parsePayload(requestIdPayload, { requestId: '' }, 'answer')).toThrow(/answer payload[\s\S]*requestId/);
  });
});
