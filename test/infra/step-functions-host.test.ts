import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { Denials, RolePolicy } from '../../infra/local/iam.ts';
import { StepFunctionsHost } from '../../infra/local/step-functions-host.ts';

const STATE_MACHINE = 'arn:aws:states:local:000000000000:stateMachine:Probe';
const functionArn = (id: string) => `arn:aws:lambda:local:000000000000:function:${id}`;
const anyCall = () => new RolePolicy('StateMachineRole', [{ Effect: 'Allow', Action: '*', Resource: '*' }]);

/** One callback state, first in the machine: as AwaitVerification is in derbes'. */
const definition = {
  StartAt: 'Wait',
  States: {
    Wait: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: functionArn('Mailer'), Payload: { 'token.$': '$$.Task.Token' } },
      ResultPath: '$.answer',
      Next: 'Done',
    },
    Done: { Type: 'Succeed' },
  },
};

describe('the local Step Functions host after a kill -9', () => {
  it('takes the token a callback function handed on before the crash, even when the crash came right after the hand-over', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'derbes-sfn-'));
    const onDisk = mkdtempSync(join(tmpdir(), 'derbes-sfn-crash-'));
    let handedOn = '';
    const first = new StepFunctionsHost(
      definition as never,
      STATE_MACHINE,
      {
        // The function mails the token, and the process dies a moment later: the disk is what a restart finds.
        invoke: async (_id: string, event: unknown) => {
          handedOn = (event as { token: string }).token;
          await new Promise((resolve) => setImmediate(resolve));
          cpSync(dataDir, onDisk, { recursive: true });
          return null;
        },
      } as never,
      dataDir,
      anyCall(),
      new Denials(),
    );
    first.startExecution('probe', {});
    await vi.waitFor(() => expect(handedOn).not.toBe(''), { timeout: 5_000, interval: 20 });
    await first.stop();

    const invoked: string[] = [];
    const restarted = new StepFunctionsHost(definition as never, STATE_MACHINE, { invoke: async (id: string) => (invoked.push(id), null) } as never, onDisk, anyCall(), new Denials());
    expect(restarted.resume()).toBe(1);
    // Resumed, the task's function runs again with a token of its own (it has no way to know the mail went out).
    await vi.waitFor(() => expect(invoked).toEqual(['Mailer']), { timeout: 5_000, interval: 20 });
    // The person's link still answers the wait it was mailed for.
    await restarted.sendTaskSuccess(handedOn, { confirmed: true });
    await vi.waitFor(() => expect(restarted.describe('probe')?.status).toBe('SUCCEEDED'), { timeout: 5_000, interval: 20 });
    await restarted.stop();
  });
});
