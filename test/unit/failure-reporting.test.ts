import { Readable } from 'node:stream';
import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { awsClient, transientErrorFor } from '../../functions/adapters/dependency-errors.ts';
import { mailError } from '../../functions/adapters/mail/mailer.ts';
import {
  ConflictError,
  DependencyError,
  DependencyTimeout,
  errorCodeOfFailure,
  MailDeferred,
  MailRejected,
  ServiceUnavailable,
  Throttled,
  TRANSIENT_ERROR_CODES,
  TransientError,
  withoutAddresses,
} from '../../functions/domain/errors.ts';
import { errorReport, reportingErrors } from '../../functions/handlers/report-errors.ts';

const smtp = (responseCode: number, response: string) => Object.assign(new Error(`Message failed: ${response}`), { code: 'EENVELOPE', responseCode, response });

describe('mail failures', () => {
  it('keeps an SMTP reply code and its enhanced status, never the text that quotes the address', () => {
    const rejected = mailError(smtp(550, '550 5.1.1 <user@example.kz>: Recipient address rejected'));
    expect(rejected).toBeInstanceOf(MailRejected);
    expect(rejected.code).toBe('mail_rejected');
    expect(rejected.message).toBe('the mail relay refused the message (SMTP 550 5.1.1)');
    const deferred = mailError(smtp(451, '451 4.3.0 <user@example.kz>: Temporary lookup failure'));
    expect(deferred).toBeInstanceOf(MailDeferred);
    expect(deferred.message).toBe('the mail relay deferred the message (SMTP 451 4.3.0)');
  });

  it('names SES refusals, throttling and a relay that cannot be reached', () => {
    expect(mailError(Object.assign(new Error('Email address is not verified: user@example.kz'), { name: 'MessageRejected' }))).toBeInstanceOf(MailRejected);
    expect(mailError(Object.assign(new Error('Maximum sending rate exceeded.'), { name: 'Throttling', $fault: 'client' }))).toBeInstanceOf(Throttled);
    expect(mailError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:25'), { code: 'ESOCKET', cause: { code: 'ECONNREFUSED' } }))).toBeInstanceOf(ServiceUnavailable);
    expect(mailError(Object.assign(new Error('Greeting never received'), { code: 'ETIMEDOUT' }))).toBeInstanceOf(DependencyTimeout);
    const unknown = mailError(Object.assign(new Error('Something about user@example.kz'), { code: 'EMESSAGE' }));
    expect(unknown).toBeInstanceOf(DependencyError);
    expect(unknown).not.toBeInstanceOf(TransientError);
    expect(unknown.message).not.toContain('@');
  });
});

describe('AWS failures', () => {
  const meta = { $metadata: {} };
  it('turns throttling, server errors and timeouts into named transient errors; leaves the rest alone', () => {
    expect(transientErrorFor(new ProvisionedThroughputExceededException({ message: 'slow down', ...meta }), 'DynamoDB')).toBeInstanceOf(Throttled);
    expect(transientErrorFor(Object.assign(new Error('x'), { name: 'InternalServerError', $fault: 'server' }), 'DynamoDB')).toBeInstanceOf(ServiceUnavailable);
    expect(transientErrorFor(Object.assign(new Error('x'), { name: 'TimeoutError' }), 'S3')).toBeInstanceOf(DependencyTimeout);
    expect(transientErrorFor(new ConditionalCheckFailedException({ message: 'The conditional request failed', ...meta }), 'DynamoDB')).toBeUndefined();
    expect(transientErrorFor(new ConflictError('x'), 'DynamoDB')).toBeUndefined();
    expect(transientErrorFor(new ProvisionedThroughputExceededException({ message: 'item user@example.kz', ...meta }), 'DynamoDB')!.message).toBe('DynamoDB throttled the call (ProvisionedThroughputExceededException)');
  });

  it('an adapter’s client hands no call to the SDK’s logger, and still names a throttled call', async () => {
    const answers = [
      { statusCode: 200, body: '{"Item":{"pk":{"S":"user@example.kz"}}}' },
      { statusCode: 400, body: '{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"slow"}' },
    ];
    const client = (logged: unknown[]) => {
      let call = 0;
      return new DynamoDBClient({
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
        maxAttempts: 1,
        logger: { debug: () => undefined, info: (entry: unknown) => logged.push(entry), warn: () => undefined, error: (entry: unknown) => logged.push(entry) },
        requestHandler: {
          handle: async () => {
            const { statusCode, body } = answers[call++ % answers.length]!;
            return { response: { statusCode, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: Readable.from([Buffer.from(body)]) } };
          },
        },
      });
    };
    const get = new GetItemCommand({ TableName: 'requests', Key: { pk: { S: 'user@example.kz' } } });
    // The SDK's own client logs both calls, each with a copy of its input.
    const plainLog: unknown[] = [];
    const plain = client(plainLog);
    await plain.send(get);
    await expect(plain.send(get)).rejects.toThrow(ProvisionedThroughputExceededException);
    expect(plainLog).toHaveLength(2);
    // An adapter's client: nothing copied for a logger, and the failure named as one that passes.
    const adapterLog: unknown[] = [];
    const adapter = awsClient(client(adapterLog), 'DynamoDB');
    expect((await adapter.send(get)).Item).toEqual({ pk: { S: 'user@example.kz' } });
    await expect(adapter.send(get)).rejects.toBeInstanceOf(Throttled);
    expect(adapterLog).toEqual([]);
  });

  it('every transient error is retried by its code', () => {
    for (const error of [new MailDeferred('x'), new Throttled('x'), new ServiceUnavailable('x'), new DependencyTimeout('x')]) {
      expect(TRANSIENT_ERROR_CODES).toContain(error.code);
    }
    expect(TRANSIENT_ERROR_CODES).toHaveLength(4);
  });
});

describe('what leaves a function', () => {
  it('is an error named by its code, with a message and stack free of addresses', async () => {
    const handler = reportingErrors('test', async () => {
      throw new MailRejected('relay said no to <a.person@example.kz>');
    });
    const thrown = (await handler({}).catch((error: Error) => error)) as Error;
    expect(thrown.name).toBe('mail_rejected');
    expect(thrown.message).toBe('relay said no to <<address>>');
    expect(thrown.stack).not.toContain('@example.kz');
    expect(thrown.cause).toBeUndefined();
  });

  it('reports a derbes error by its code and message, not by its class name (which a bundle minifies)', () => {
    const report = errorReport(new MailRejected('relay said no'));
    expect(report).toEqual({ code: 'mail_rejected', message: 'relay said no', frames: expect.any(Array) });
  });

  it('reports a foreign error by its class name only', () => {
    const report = errorReport(new TypeError("Cannot read properties of undefined (reading 'user@example.kz')"));
    expect(report).toMatchObject({ code: 'unexpected_error', kind: 'TypeError', message: 'unexpected TypeError' });
    expect(JSON.stringify(report)).not.toContain('example.kz');
  });

  it('maps the names Step Functions reports to codes, never echoing an unknown one', () => {
    expect(errorCodeOfFailure('mail_rejected')).toBe('mail_rejected');
    expect(errorCodeOfFailure('States.Timeout')).toBe('step_timed_out');
    expect(errorCodeOfFailure('Lambda.Unknown')).toBe('function_crashed');
    expect(errorCodeOfFailure('Lambda.TooManyRequestsException')).toBe('lambda_unavailable');
    expect(errorCodeOfFailure('States.Runtime')).toBe('workflow_error');
    expect(errorCodeOfFailure('Some <x@y.kz>')).toBe('unexpected_error');
  });

  it('blanks addresses as a last guard', () => {
    expect(withoutAddresses('to <a.b+c@sub.example.kz>, and x@y.z')).toBe('to <<address>>, and <address>');
  });
});
