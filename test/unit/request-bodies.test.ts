import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import * as z from '../../functions/domain/schema.ts';
import { ValidationError, toFieldProblems } from '../../functions/domain/errors.ts';
import { objectBody } from '../../functions/handlers/http/responses.ts';

const withBody = (body: string) => ({ body, isBase64Encoded: false }) as APIGatewayProxyEventV2;
const problemsOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return { message: error.message, problems: error.problems };
    throw error;
  }
  throw new Error('no ValidationError');
};

describe('what a caller is told about the body and fields it sent', () => {
  it('text that is not JSON, and JSON that is not an object, are told apart', () => {
    expect(problemsOf(() => objectBody(withBody('{"type": "access",'), 'request'))).toEqual({
      message: 'Invalid request: (body): is not valid JSON',
      problems: [{ field: '(body)', message: 'is not valid JSON', kind: 'format' }],
    });
    expect(problemsOf(() => objectBody(withBody('["access"]'), 'breach')).problems).toEqual([{ field: '(body)', message: 'must be a JSON object', kind: 'format' }]);
    expect(objectBody(withBody(''), 'request')).toEqual({});
    expect(objectBody({ body: Buffer.from('{"a":1}').toString('base64'), isBase64Encoded: true } as APIGatewayProxyEventV2, 'request')).toEqual({ a: 1 });
  });

  it('a field left out is required; a field of the wrong type keeps what the parser says it expected', () => {
    const schema = z.object({ types: z.array(z.string()), name: z.string() });
    expect(toFieldProblems(schema.safeParse({ name: 1 }).error!.issues)).toEqual([
      { field: 'types', message: 'is required', kind: 'required' },
      { field: 'name', message: 'Invalid input: expected string, received number', kind: 'format' },
    ]);
  });
});
